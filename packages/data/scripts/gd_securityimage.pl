# Draws captchas with the real GD::SecurityImage (Debian: libgd-securityimage-perl), as the two
# Perl web frameworks' captcha plugins document configuring it. Neither scheme is used to tune
# anything: they are held out, to check the fine-tune recipe on schemes nobody tuned it on.
#
#   catalyst: Catalyst::Plugin::Captcha's synopsis: 80x30, GD's built-in "giant" bitmap font,
#             7 lines in the 'rect' style, 100 particles, JPEG.
#   cgiapp:   CGI::Application::Plugin::CAPTCHA's synopsis: 150x40, Arial 18 pt (Debian:
#             Liberation Sans, its metric twin), yellow, 10 lines in the 'rect' style,
#             300 particles, PNG.
#
# Both draw the library's default text, six digits. Both sites compare the answer exactly.
#
# Usage: perl gd_securityimage.pl CONFIG SEED START COUNT OUTDIR
#        perl gd_securityimage.pl CONFIG --probe   (checks what a run needs and draws nothing: exit 0, or 3 and the reason)
# Writes OUTDIR/<i>_<text>.<jpg|png> for i = START .. START+COUNT-1 and prints "<file>\t<text>".
# Image i is drawn after srand(first 32 bits of md5("SEED:i")): the library draws every random
# choice with Perl's rand, so image i depends only on the seed and its index. (Consecutive
# integer seeds would not do: Perl's first rand after srand(n) and srand(n+1) are close.)
use strict;
use warnings;
use Digest::MD5 qw(md5);

my $probe = @ARGV == 2 && $ARGV[1] eq '--probe';
if (!$probe && @ARGV != 5) {
    print STDERR "usage: perl gd_securityimage.pl catalyst|cgiapp SEED START COUNT OUTDIR | catalyst|cgiapp --probe\n";
    exit 2;
}
my ($config, $seed, $start, $count, $out) = @ARGV;
if (!eval { require GD::SecurityImage; GD::SecurityImage->import; 1 }) {
    print STDERR "GD::SecurityImage is not installed: apt-get install libgd-securityimage-perl\n";
    exit 3;
}
my $arial = '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf';

my %draw = (
    catalyst => sub {
        my $img = GD::SecurityImage->new(width => 80, height => 30, lines => 7, gd_font => 'giant');
        $img->random;
        $img->create(qw(normal rect));
        $img->particle(100);
        my ($data, undef, $text) = $img->out(force => 'jpeg');
        return ($data, $text, 'jpg');
    },
    cgiapp => sub {
        my $img = GD::SecurityImage->new(
            width => 150, height => 40, lines => 10, font => $arial, ptsize => 18, bgcolor => '#FFFF00');
        $img->random;
        $img->create(qw(ttf rect));
        $img->particle(300);
        my ($data, undef, $text) = $img->out(force => 'png');
        return ($data, $text, 'png');
    },
);
if (!$draw{$config}) {
    print STDERR "unknown config '$config' (expected catalyst or cgiapp)\n";
    exit 2;
}
if ($config eq 'cgiapp' && !-r $arial) {
    print STDERR "$arial is missing: apt-get install fonts-liberation\n";
    exit 3;
}
exit 0 if $probe;

$| = 1;
for my $i ($start .. $start + $count - 1) {
    srand(unpack('N', md5("$seed:$i")));
    my ($data, $text, $ext) = $draw{$config}->();
    my $file = "${i}_$text.$ext";
    open(my $fh, '>:raw', "$out/$file") or do { print STDERR "cannot write $out/$file: $!\n"; exit 1 };
    print $fh $data;
    close($fh) or do { print STDERR "cannot write $out/$file: $!\n"; exit 1 };
    print "$file\t$text\n";
}
