<?php
// Gregwar/Captcha's post-effects per captcha, to split a reader's errors by them (docs/results.md,
// "Gregwar's errors by its post-effects"). Draws exactly what gregwar.php draws (the same seeding, the
// same calls to the library's random source in the same order), and prints per image
// "<file>\t<phrase>\t<negated>\t<edges>\t<contrast>\t<colorize r,g,b or empty>".
//
// CaptchaBuilder::postEffect (php-gregwar-captcha 1.1.9) negates with probability 1/2, then edge-detects
// with 1/11, sets a contrast of -50..10 and colorizes with 1/6. It keeps no record of what it chose, so
// this subclass makes the same choices, in the same order, and records them.
//
// Usage: php gregwar-effects.php SEED START COUNT OUTDIR
require_once '/usr/share/php/Gregwar/Captcha/autoload.php';

class EffectsRecorded extends Gregwar\Captcha\CaptchaBuilder
{
    public $effects = [];

    protected function postEffect($image)
    {
        if (!function_exists('imagefilter') || $this->backgroundColor != null || $this->textColor != null) {
            return;
        }
        $negate = $this->rand(0, 1) == 0;
        if ($negate) {
            imagefilter($image, IMG_FILTER_NEGATE);
        }
        $edges = $this->rand(0, 10) == 0;
        if ($edges) {
            imagefilter($image, IMG_FILTER_EDGEDETECT);
        }
        $contrast = $this->rand(-50, 10);
        imagefilter($image, IMG_FILTER_CONTRAST, $contrast);
        $colorize = '';
        if ($this->rand(0, 5) == 0) {
            [$r, $g, $b] = [$this->rand(-80, 50), $this->rand(-80, 50), $this->rand(-80, 50)];
            imagefilter($image, IMG_FILTER_COLORIZE, $r, $g, $b);
            $colorize = "$r,$g,$b";
        }
        $this->effects = [(int) $negate, (int) $edges, $contrast, $colorize];
    }
}

if ($argc !== 5) {
    fwrite(STDERR, "usage: php gregwar-effects.php SEED START COUNT OUTDIR\n");
    exit(2);
}
[$_, $seed, $start, $count, $out] = $argv;
for ($i = (int) $start; $i < (int) $start + (int) $count; $i++) {
    mt_srand(crc32("$seed:$i"));
    $builder = new EffectsRecorded();
    $builder->build();
    $phrase = $builder->getPhrase();
    $file = "{$i}_{$phrase}.jpg";
    file_put_contents("$out/$file", $builder->get());
    echo "$file\t$phrase\t" . implode("\t", $builder->effects) . "\n";
}
