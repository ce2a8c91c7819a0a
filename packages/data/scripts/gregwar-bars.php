<?php
// How far apart Gregwar/Captcha's fonts draw 'I' and 'l' (docs/results.md, "The scheme's ceiling"). Its
// comparePhrases lower-cases both answers, so 'I' must be read as i and 'l' as l; where the two glyphs are
// the same bar, a reader can only guess. Prints, per default font at the library's smallest and largest
// letter size (150 px / 5 letters − rand(0, 3) − 1), the overlap (intersection over union) of the two
// glyphs' pixels and each glyph's ink width and height.
//
// Usage: php gregwar-bars.php    (Debian: php-cli php-gregwar-captcha)
$lib = '/usr/share/php/Gregwar/Captcha/autoload.php';
if (!is_readable($lib)) {
    fwrite(STDERR, "Gregwar/Captcha is not installed ($lib missing): apt-get install php-cli php-gregwar-captcha\n");
    exit(3);
}
require_once $lib;
$fonts = new ReflectionProperty(Gregwar\Captcha\CaptchaBuilder::class, 'defaultFontList');
$fonts->setAccessible(true);

// The dark pixels of one glyph, drawn upright on a 64×64 canvas, as "x,y" keys.
function ink(string $font, int $size, string $glyph): array
{
    $im = imagecreatetruecolor(64, 64);
    imagefill($im, 0, 0, imagecolorallocate($im, 255, 255, 255));
    imagettftext($im, $size, 0, 16, 52, imagecolorallocate($im, 0, 0, 0), $font, $glyph);
    $dark = [];
    for ($y = 0; $y < 64; $y++) {
        for ($x = 0; $x < 64; $x++) {
            if ((imagecolorat($im, $x, $y) & 255) < 128) $dark["$x,$y"] = true;
        }
    }
    return $dark;
}

// Ink width × height of a glyph.
function extent(array $dark): string
{
    $xs = $ys = [];
    foreach (array_keys($dark) as $k) {
        [$x, $y] = explode(',', $k);
        $xs[] = (int) $x;
        $ys[] = (int) $y;
    }
    return (max($xs) - min($xs) + 1) . 'x' . (max($ys) - min($ys) + 1);
}

printf("%-26s %4s %5s %7s %7s\n", 'font', 'size', 'IoU', 'I (wxh)', 'l (wxh)');
foreach (array_filter($fonts->getValue(), 'is_readable') as $font) {
    foreach ([26, 29] as $size) {
        $i = ink($font, $size, 'I');
        $l = ink($font, $size, 'l');
        $iou = count(array_intersect_key($i, $l)) / count($i + $l);
        printf("%-26s %4d %5.2f %7s %7s\n", basename($font), $size, $iou, extent($i), extent($l));
    }
}
