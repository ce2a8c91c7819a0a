// The tests import modules directly, not through index.ts, which installs the skia canvas factory for Node.
import { setCanvasFactory } from '../canvas';
import { skiaCanvasFactory } from '../canvasNode';

setCanvasFactory(skiaCanvasFactory);
