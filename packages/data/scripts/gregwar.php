<?php
// Draws captchas with the real Gregwar/Captcha library (Debian: php-cli php-gregwar-captcha),
// as a site using its defaults serves them: 150x40 JPEG (quality 90), five characters from
// PhraseBuilder's default mixed-case charset, the library's default fonts and effects.
//
// Usage: php gregwar.php SEED START COUNT OUTDIR
//        php gregwar.php --probe   (checks what a run needs and draws nothing: exit 0, or 3 and the reason)
// Writes OUTDIR/<i>_<phrase>.jpg for i = START .. START+COUNT-1 and prints "<file>\t<phrase>" per image.
// Image i is seeded with mt_srand(crc32("SEED:i")), so it depends only on the seed and its index
// (a set can be extended with a later START, and any image redrawn alone).
$probe = $argc === 2 && $argv[1] === '--probe';
if (!$probe && $argc !== 5) {
    fwrite(STDERR, "usage: php gregwar.php SEED START COUNT OUTDIR | --probe\n");
    exit(2);
}
$lib = '/usr/share/php/Gregwar/Captcha/autoload.php';
if (!is_readable($lib)) {
    fwrite(STDERR, "Gregwar/Captcha is not installed ($lib missing): apt-get install php-cli php-gregwar-captcha\n");
    exit(3);
}
if (!function_exists('imagettftext')) {
    fwrite(STDERR, "PHP's GD with FreeType is missing (imagettftext): apt-get install php-gd\n");
    exit(3);
}
require_once $lib;
if ($probe) {
    exit(0);
}

[$_, $seed, $start, $count, $out] = $argv;
for ($i = (int) $start; $i < (int) $start + (int) $count; $i++) {
    mt_srand(crc32("$seed:$i"));
    $builder = new Gregwar\Captcha\CaptchaBuilder();
    $builder->build();
    $phrase = $builder->getPhrase();
    $file = "{$i}_{$phrase}.jpg";
    if (file_put_contents("$out/$file", $builder->get()) === false) {
        fwrite(STDERR, "cannot write $out/$file\n");
        exit(1);
    }
    echo "$file\t$phrase\n";
}
