# Draws captchas with the real simple_captcha2 gem, Rails' SimpleCaptcha (Debian: ruby-simple-captcha2, which
# shells out to ImageMagick's convert: imagemagick). Held out: nothing is tuned on either configuration.
#
#   default: the gem's defaults: 100x28 JPEG, five upper-case letters, 'simply_blue' (dark blue on white),
#            'low' distortion (a wave of amplitude 0-1), 'medium' implode (0.2), 22 pt.
#   random:  the same, but image_style 'random' and distortion 'random', the values its README offers for
#            "the random image style" and the complexity: each captcha takes one of the eight styles (embossed,
#            edge-detected, charcoal, solarised, plain) and a low, medium or high wave.
#
# The README says ImageMagick draws the text in Arial; this driver names Liberation Sans, Arial's metric twin,
# so that the drawing does not depend on which fonts ImageMagick finds. The site upper-cases the answer and
# compares it with the text.
#
# Usage: ruby simple_captcha2.rb default|random SEED START COUNT OUTDIR
#        ruby simple_captcha2.rb default|random --probe   (checks what a run needs and draws nothing: exit 0, or 3 and
#        the reason)
# Writes OUTDIR/<i>_<text>.jpg for i = START .. START+COUNT-1 and prints "<file>\t<text>" per image. Image i
# is drawn after srand(md5("SEED:i")): the gem draws the text, the style and the wave with Kernel#rand, so
# image i depends only on the seed and its index.
require 'digest/md5'

probe = ARGV.length == 2 && ARGV[1] == '--probe'
if !probe && ARGV.length != 5
  warn 'usage: ruby simple_captcha2.rb default|random SEED START COUNT OUTDIR | default|random --probe'
  exit 2
end
config, seed, start, count, out = ARGV
unless %w[default random].include?(config)
  warn "unknown config '#{config}' (expected default or random)"
  exit 2
end
convert = '/usr/bin/convert'
arial = '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf'
begin
  # The gem loads as a Rails engine; railties comes with it.
  require 'rails'
  require 'simple_captcha'
rescue LoadError => e
  warn "simple_captcha2 is not installed (#{e.message}): apt-get install ruby-simple-captcha2 imagemagick"
  exit 3
end
unless File.executable?(convert)
  warn "#{convert} is missing: apt-get install imagemagick"
  exit 3
end
unless File.readable?(arial)
  warn "#{arial} is missing: apt-get install fonts-liberation"
  exit 3
end
exit 0 if probe

# The gem's data store hands its image route the text; here the drawer hands it over.
module SimpleCaptcha::Utils
  class << self
    attr_accessor :drawn_text
  end

  def self.simple_captcha_value(_key)
    drawn_text
  end
end

# The gem's two private helpers, as its view and its image route call them: the text, then its image.
class Drawer
  include SimpleCaptcha::ViewHelper
  include SimpleCaptcha::ImageHelpers

  def draw
    text = generate_simple_captcha_data(nil)
    SimpleCaptcha::Utils.drawn_text = text
    [generate_simple_captcha_image(nil), text]
  end
end

SimpleCaptcha.setup do |sc|
  sc.image_magick_path = File.dirname(convert)
  sc.font = arial
  if config == 'random'
    sc.image_style = 'random'
    sc.distortion = 'random'
  end
end

$stdout.sync = true
drawer = Drawer.new
(start.to_i...(start.to_i + count.to_i)).each do |i|
  srand(Digest::MD5.hexdigest("#{seed}:#{i}").to_i(16))
  data, text = drawer.draw
  file = "#{i}_#{text}.jpg"
  begin
    File.binwrite(File.join(out, file), data)
  rescue SystemCallError => e
    warn "cannot write #{File.join(out, file)}: #{e.message}"
    exit 1
  end
  puts "#{file}\t#{text}"
end
