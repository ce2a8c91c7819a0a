// The seed preset's two recipes drawn by Java2D: the rasteriser, glyph
// renderer, stroker, gradient and compositing that the real SimpleCaptcha
// uses, with the facts of docs/simplecaptcha-fidelity.md. A model trained
// on our skia renderings and tested on these measures what the rasteriser
// difference costs; it is our code, not the library's, and not its images.
//
//   javac -d /tmp/j2d SeedJava2D.java
//   java -cp /tmp/j2d SeedJava2D OUT COUNT SEED [liberation|names|sans] [a|b|both]
//   java -cp /tmp/j2d SeedJava2D word TEXT FONT.ttf OUT.png   (one word in one font, no effects: a test fixture)
//
// Files are written as <index>_<label>.png (ARGB, transparent where the
// recipe leaves it so). `liberation` loads Liberation Sans Bold and Liberation
// Mono Bold from their files (a machine with Arial and Courier); `names` asks
// for "Arial" and "Courier" as the library does and takes what Java resolves;
// `sans` draws both in Liberation Sans Bold (Windows, where Courier has no
// TrueType file and Java falls back to Dialog, which is Arial there).
import java.awt.AlphaComposite;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.font.GlyphVector;
import java.awt.geom.CubicCurve2D;
import java.awt.geom.PathIterator;
import java.awt.image.BufferedImage;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

public final class SeedJava2D {
  static final int W = 200, H = 50;
  static final String CHARSET = "abcdefghkmnprwxy2345678";

  public static void main(String[] args) throws Exception {
    if (args.length == 4 && args[0].equals("word")) {
      Font font = Font.createFont(Font.TRUETYPE_FONT, new File(args[2])).deriveFont(40f);
      BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_ARGB);
      drawWord(img, args[1], new Font[] {font}, new Random(0));
      ImageIO.write(img, "png", new File(args[3]));
      return;
    }
    if (args.length < 3) {
      System.err.println("usage: SeedJava2D OUT COUNT SEED [liberation|names] [a|b|both]");
      System.exit(2);
    }
    File out = new File(args[0]);
    int count = Integer.parseInt(args[1]);
    long seed = args[2].hashCode();
    String fontMode = args.length > 3 ? args[3] : "liberation";
    String recipes = args.length > 4 ? args[4] : "both";
    Font[] fonts = fonts(fontMode);
    System.err.println("fonts: " + fonts[0].getFontName() + " | " + fonts[1].getFontName());
    out.mkdirs();
    for (int i = 0; i < count; i++) {
      Random rng = new Random(splitMix(seed * 1_000_003L + i));
      boolean first = recipes.equals("a") || (!recipes.equals("b") && rng.nextBoolean());
      StringBuilder label = new StringBuilder();
      BufferedImage img = render(rng, fonts, first, label);
      ImageIO.write(img, "png", new File(out, i + "_" + label + ".png"));
    }
  }

  /** java.util.Random's first draws follow its seed closely; SplitMix64 spreads consecutive seeds apart. */
  static long splitMix(long z) {
    z += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  static Font[] fonts(String mode) throws Exception {
    if (mode.equals("names")) return new Font[] {new Font("Arial", Font.BOLD, 40), new Font("Courier", Font.BOLD, 40)};
    String dir = "/usr/share/fonts/truetype/liberation/";
    Font sans = Font.createFont(Font.TRUETYPE_FONT, new File(dir + "LiberationSans-Bold.ttf")).deriveFont(40f);
    if (mode.equals("sans")) return new Font[] {sans, sans};
    Font mono = Font.createFont(Font.TRUETYPE_FONT, new File(dir + "LiberationMono-Bold.ttf")).deriveFont(40f);
    return new Font[] {sans, mono};
  }

  static RenderingHints quality() {
    RenderingHints hints = new RenderingHints(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    hints.put(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
    return hints;
  }

  /** Recipe a: text, curved line, ripple on a transparent background; b: text, straight line, fish-eye on the gradient. */
  static BufferedImage render(Random rng, Font[] fonts, boolean recipeA, StringBuilder label) {
    BufferedImage layer = new BufferedImage(W, H, BufferedImage.TYPE_INT_ARGB);
    for (int k = 0; k < 5; k++) label.append(CHARSET.charAt(rng.nextInt(CHARSET.length())));
    drawWord(layer, label.toString(), fonts, rng);
    if (recipeA) {
      curvedLine(layer, rng);
      ripple(layer);
    } else {
      straightLine(layer, rng);
      fishEye(layer, rng);
    }
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = img.createGraphics();
    if (!recipeA) {
      g.setPaint(new GradientPaint(0, 0, Color.DARK_GRAY, W, H, Color.WHITE));
      g.fillRect(0, 0, W, H);
    }
    g.drawImage(layer, 0, 0, null);
    g.dispose();
    return img;
  }

  /** Origin at x = round(0.05 w), baseline h − round(0.25 h); each origin moves by the glyph's visual width, truncated. */
  static void drawWord(BufferedImage layer, String word, Font[] fonts, Random rng) {
    Graphics2D g = layer.createGraphics();
    g.setRenderingHints(quality());
    g.setColor(Color.BLACK);
    int x = (int) Math.round(W * 0.05);
    int y = H - (int) Math.round(H * 0.25);
    for (char c : word.toCharArray()) {
      Font font = fonts[rng.nextInt(fonts.length)];
      g.setFont(font);
      char[] chars = {c};
      GlyphVector gv = font.createGlyphVector(g.getFontRenderContext(), chars);
      g.drawChars(chars, 0, 1, x, y);
      x += (int) gv.getVisualBounds().getWidth();
    }
    g.dispose();
  }

  /** A cubic flattened with flatness 2, points cast to int, each segment its own 3 px antialiased line. */
  static void curvedLine(BufferedImage layer, Random rng) {
    CubicCurve2D cc = new CubicCurve2D.Float(W * .1f, H * rng.nextFloat(), W * .1f, H * rng.nextFloat(), W * .25f,
        H * rng.nextFloat(), W * .9f, H * rng.nextFloat());
    List<int[]> pts = new ArrayList<>();
    float[] coords = new float[6];
    for (PathIterator pi = cc.getPathIterator(null, 2); !pi.isDone(); pi.next()) {
      int type = pi.currentSegment(coords);
      if (type == PathIterator.SEG_MOVETO || type == PathIterator.SEG_LINETO) pts.add(new int[] {(int) coords[0], (int) coords[1]});
    }
    Graphics2D g = layer.createGraphics();
    g.setRenderingHints(quality());
    g.setColor(Color.BLACK);
    g.setStroke(new BasicStroke(3));
    for (int i = 0; i + 1 < pts.size(); i++) g.drawLine(pts.get(i)[0], pts.get(i)[1], pts.get(i + 1)[0], pts.get(i + 1)[1]);
    g.dispose();
  }

  /** A red band 4 px wide from (0, y1) to (w, y2), an integer polygon filled without antialiasing. */
  static void straightLine(BufferedImage layer, Random rng) {
    int y1 = rng.nextInt(H) + 1;
    int y2 = rng.nextInt(H) + 1;
    double dX = W, dY = y2 - y1, thickness = 4;
    double scale = thickness / (2 * Math.sqrt(dX * dX + dY * dY));
    double ddx = -scale * dY, ddy = scale * dX;
    int dx = (int) (ddx + (ddx > 0 ? 0.5 : -0.5));
    int dy = (int) (ddy + (ddy > 0 ? 0.5 : -0.5));
    Graphics2D g = layer.createGraphics();
    g.setColor(Color.RED);
    g.fillPolygon(new int[] {dx, -dx, W - dx, W + dx}, new int[] {y1 + dy, y1 - dy, y2 - dy, y2 + dy}, 4);
    g.dispose();
  }

  /**
   * The old jhlabs ripple with edge action ZERO: output (X, Y) samples (u + 2.6 sin(v/15), v + 1.7 sin(u/5)),
   * (u, v) = (X − 2, Y − 1), truncated, bilinear per ARGB channel with the right/lower neighbour; the copy is
   * then painted over the image it came from.
   */
  static void ripple(BufferedImage layer) {
    int[] src = layer.getRGB(0, 0, W, H, null, 0, W);
    int[] dst = new int[W * H];
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        float u = x - 2, v = y - 1;
        float sx = u + 2.6f * (float) Math.sin(v / 15f);
        float sy = v + 1.7f * (float) Math.sin(u / 5f);
        int x0 = (int) sx, y0 = (int) sy;
        if (sx < 0 || x0 >= W || sy < 0 || y0 >= H) continue;
        float fx = sx - x0, fy = sy - y0;
        int nw = src[y0 * W + x0];
        int ne = src[y0 * W + (x0 == W - 1 ? x0 : x0 + 1)];
        int sw = src[(y0 == H - 1 ? y0 : y0 + 1) * W + x0];
        int se = src[(y0 == H - 1 ? y0 : y0 + 1) * W + (x0 == W - 1 ? x0 : x0 + 1)];
        int p = 0;
        for (int shift = 0; shift < 32; shift += 8) {
          float top = (1 - fx) * ((nw >>> shift) & 255) + fx * ((ne >>> shift) & 255);
          float bottom = (1 - fx) * ((sw >>> shift) & 255) + fx * ((se >>> shift) & 255);
          p |= ((int) ((1 - fy) * top + fy * bottom) & 255) << shift;
        }
        dst[y * W + x] = p;
      }
    }
    BufferedImage copy = new BufferedImage(W, H, BufferedImage.TYPE_INT_ARGB);
    copy.setRGB(0, 0, W, H, dst, 0, W);
    Graphics2D g = layer.createGraphics();
    g.setComposite(AlphaComposite.SrcOver);
    g.drawImage(copy, 0, 0, null);
    g.dispose();
  }

  /** A 1 px black grid every 6 px, then a bulge of radius 50..66 about the middle. */
  static void fishEye(BufferedImage layer, Random rng) {
    int hspace = H / (H / 7 + 1), vspace = W / (W / 7 + 1);
    Graphics2D g = layer.createGraphics();
    g.setColor(Color.BLACK);
    for (int i = hspace; i < H; i += hspace) g.drawLine(0, i, W, i);
    for (int i = vspace; i < W; i += vspace) g.drawLine(i, 0, i, H);
    g.dispose();
    int distance = W / 4 + rng.nextInt(W / 3 - W / 4 + 1);
    int[] src = layer.getRGB(0, 0, W, H, null, 0, W);
    int[] dst = src.clone();
    int wMid = W / 2, hMid = H / 2;
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        int rx = x - wMid, ry = y - hMid;
        double d1 = Math.sqrt(rx * rx + ry * ry);
        if (d1 >= distance || d1 == 0) continue;
        double s = d1 / distance;
        double k = ((-0.75 * s * s * s + 1.5 * s * s + 0.25 * s) * distance) / d1;
        int sx = wMid + (int) (k * rx), sy = hMid + (int) (k * ry);
        if (sx < 0 || sx >= W || sy < 0 || sy >= H) continue;
        dst[y * W + x] = src[sy * W + sx];
      }
    }
    layer.setRGB(0, 0, W, H, dst, 0, W);
  }
}
