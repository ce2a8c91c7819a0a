<?php
// Draws captchas with the real PEAR Text_CAPTCHA (Debian: php-cli php-text-captcha php-image-text), as its own example
// (examples/SimpleExample.php) sets it up: the Image driver, 200x80 PNG, Courier 24 pt (Debian: Liberation
// Mono, Courier New's metric twin; the example names COUR.TTF) in #DDFF99 on #555555, lines and circles in
// #CCEEDD, the text turned by -15..15 degrees, and the default phrase: eight pronounceable lower-case letters
// (Text_Password). Held out: nothing is tuned on it. The site compares answers exactly.
//
// Usage: php text_captcha.php SEED START COUNT OUTDIR
//        php text_captcha.php --probe   (checks what a run needs and draws nothing: exit 0, or 3 and the reason)
// Writes OUTDIR/<i>_<phrase>.png for i = START .. START+COUNT-1 and prints "<file>\t<phrase>" per image.
// Image i is seeded with mt_srand(crc32("SEED:i")). The driver draws the angle, lines and circles with rand
// (mt_rand's alias), but Text_Password draws the phrase with random_int, which no seed reaches; so the phrase
// is made here the way Text_Password's pronounceable phrases are (syllables of a consonant sound and a vowel
// sound from its two lists, cut to the length) with mt_rand, and handed to the driver as its phrase.
$probe = $argc === 2 && $argv[1] === '--probe';
if (!$probe && $argc !== 5) {
    fwrite(STDERR, "usage: php text_captcha.php SEED START COUNT OUTDIR | --probe\n");
    exit(2);
}
$lib = '/usr/share/php/Text/CAPTCHA.php';
$courier = '/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf';
if (!is_readable($lib) || !is_readable('/usr/share/php/Image/Text.php') || !function_exists('imagettftext')) {
    fwrite(STDERR, "Text_CAPTCHA's Image driver is not installed ($lib, Image_Text or PHP's GD missing): apt-get install php-cli php-text-captcha php-image-text\n");
    exit(3);
}
if (!is_readable($courier)) {
    fwrite(STDERR, "$courier is missing: apt-get install fonts-liberation\n");
    exit(3);
}
require_once $lib;
if ($probe) {
    exit(0);
}

[$_, $seed, $start, $count, $out] = $argv;
$options = [
    'width' => 200,
    'height' => 80,
    'output' => 'png',
    'imageOptions' => [
        'font_size' => 24,
        'font_path' => dirname($courier) . '/',
        'font_file' => basename($courier),
        'text_color' => '#DDFF99',
        'lines_color' => '#CCEEDD',
        'background_color' => '#555555',
    ],
];
const VOWEL_SOUNDS = ['a', 'e', 'i', 'o', 'u', 'ae', 'ou', 'io', 'ea', 'ou', 'ia', 'ai'];
const CONSONANT_SOUNDS = ['b', 'c', 'd', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'u', 'v', 'w',
    'tr', 'cr', 'fr', 'dr', 'wr', 'pr', 'th', 'ch', 'ph', 'st', 'sl', 'cl'];

function pronounceable(int $length): string
{
    $phrase = '';
    while (strlen($phrase) < $length) {
        $phrase .= CONSONANT_SOUNDS[mt_rand(0, count(CONSONANT_SOUNDS) - 1)] . VOWEL_SOUNDS[mt_rand(0, count(VOWEL_SOUNDS) - 1)];
    }
    return substr($phrase, 0, $length);
}

for ($i = (int) $start; $i < (int) $start + (int) $count; $i++) {
    mt_srand(crc32("$seed:$i"));
    // The driver's phrase length: min(8, width / 25).
    $phrase = pronounceable(min(8, intdiv($options['width'], 25)));
    $captcha = Text_CAPTCHA::factory('Image');
    $captcha->init($options + ['phrase' => $phrase]);
    $file = "{$i}_{$phrase}.png";
    if (file_put_contents("$out/$file", $captcha->getCAPTCHA()) === false) {
        fwrite(STDERR, "cannot write $out/$file\n");
        exit(1);
    }
    echo "$file\t$phrase\n";
}
