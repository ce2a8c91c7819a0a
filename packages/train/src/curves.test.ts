import { describe, expect, it } from 'vitest';
import { renderPanels, yAxis } from './curves';

describe('curves: the y axis', () => {
  it('linear: from 0 (or below) to the largest value, five ticks', () => {
    const a = yAxis([2, 8], { title: 't', series: [] });
    expect(a.at(0)).toBe(0);
    expect(a.at(8)).toBe(1);
    expect(a.at(4)).toBeCloseTo(0.5);
    expect(a.ticks).toEqual([0, 2, 4, 6, 8]);
  });

  it('log: whole decades, equal steps per decade, ticks at 1, 2 and 5', () => {
    const a = yAxis([0.3, 26.5], { title: 't', series: [], yScale: 'log' });
    expect(a.at(0.1)).toBe(0);
    expect(a.at(100)).toBe(1);
    expect(a.at(1)).toBeCloseTo(1 / 3);
    expect(a.at(10)).toBeCloseTo(2 / 3);
    expect(a.ticks).toEqual([0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]);
    expect(a.ticks.map(a.label)).toContain('0.2');
  });

  it('log: values at or below 0 are left out of the range, and a panel of them still renders', () => {
    const a = yAxis([0, -1, 0.5, 4], { title: 't', series: [], yScale: 'log' });
    expect(a.at(0.1)).toBe(0);
    expect(a.at(10)).toBe(1);
    const png = renderPanels([
      {
        title: 'e',
        yScale: 'log',
        series: [
          {
            name: 's',
            color: '#000',
            points: [
              [1, 0],
              [2, 0.5],
              [3, 4],
            ],
          },
        ],
      },
    ]);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });
});
