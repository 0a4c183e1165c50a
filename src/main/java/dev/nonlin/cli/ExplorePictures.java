package dev.nonlin.cli;

import dev.nonlin.cli.Explore.DeepRun;
import dev.nonlin.cli.Explore.DyingRun;
import dev.nonlin.cli.Explore.Nonlinearity;
import dev.nonlin.cli.Explore.OutputRun;
import dev.nonlin.cli.Explore.SpiralRun;
import dev.nonlin.cli.ExploreReport.Results;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pictures of {@code nonlin explore}, drawn with AWT and XChart. A class of its own, touched
 * only where the pictures are drawn, so that on a runtime without {@code java.desktop} only this
 * class fails to load, and {@link ExploreReport} still writes the page and the numbers.
 */
final class ExplorePictures {
    private ExplorePictures() {
    }

    private static final Color CLASS0 = new Color(0x2f6db5);
    private static final Color CLASS1 = new Color(0xe0702d);
    private static final Color BACK0 = new Color(0xc9dcf2);
    private static final Color BACK1 = new Color(0xf7d3bd);

    // ------------------------------------------------------------------ pictures

    /** One colour per activation, the same in every chart; the saturating pair in warm colours. */
    static Color color(dev.nonlin.Activation f) {
        return switch (f.name()) {
            case "identity" -> new Color(0x7f7f7f);
            case "relu" -> new Color(0x1f77b4);
            case "leaky_relu" -> new Color(0x17becf);
            case "elu" -> new Color(0x2ca02c);
            case "selu" -> new Color(0xbcbd22);
            case "gelu" -> new Color(0x9467bd);
            case "silu" -> new Color(0xe377c2);
            case "mish" -> new Color(0x8c564b);
            case "tanh" -> new Color(0xff7f0e);
            case "sigmoid" -> new Color(0xd62728);
            default -> Color.BLACK;
        };
    }

    /** Saturating functions drawn thicker: they are what section 2 is about. */
    private static BasicStroke stroke(dev.nonlin.Activation f) {
        boolean saturating = f.kind() == dev.nonlin.Activation.Kind.SIGMOID || f.kind() == dev.nonlin.Activation.Kind.TANH;
        return new BasicStroke(saturating ? 3f : 1.6f);
    }

    /**
     * The PNGs by file name ({@link ExploreReport#PICTURES}), drawn in memory.
     *
     * @throws LinkageError when the Java runtime lacks {@code java.desktop}; the caller says so and
     *                      writes the report without pictures
     */
    static Map<String, byte[]> of(Results r) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<byte[]> drawn = List.of(boundaries(r.nonlinearity()), vanishing(r.deep(), r.sizes().deepSteps()),
                dying(r.dying()), outputs(r.outputs()));
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < drawn.size(); i++) {
            m.put(ExploreReport.PICTURES.get(i), drawn.get(i));
        }
        return m;
    }

    /** One tile per activation: p(class 1) as background colour, the held-out points on top. */
    static byte[] boundaries(Nonlinearity n) throws IOException {
        int tile = 150;
        int caption = 20;
        int columns = 5;
        int rows = (n.runs().size() + columns - 1) / columns;
        BufferedImage img = new BufferedImage(columns * tile, rows * (tile + caption), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int k = 0; k < n.runs().size(); k++) {
            SpiralRun run = n.runs().get(k);
            int x0 = (k % columns) * tile;
            int y0 = (k / columns) * (tile + caption);
            BufferedImage field = new BufferedImage(Explore.GRID, Explore.GRID, BufferedImage.TYPE_INT_RGB);
            for (int i = 0; i < Explore.GRID * Explore.GRID; i++) {
                field.setRGB(i % Explore.GRID, i / Explore.GRID, blend(run.grid()[i]).getRGB());
            }
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(field, x0 + 2, y0 + caption, tile - 4, tile - 4, null);
            Explore.Data test = n.test();
            for (int i = 0; i < test.rows(); i++) {
                double px = (test.x()[2 * i] + Explore.EXTENT) / (2 * Explore.EXTENT) * (tile - 4);
                double py = (Explore.EXTENT - test.x()[2 * i + 1]) / (2 * Explore.EXTENT) * (tile - 4);
                g.setColor(test.classes()[i] == 0 ? CLASS0 : CLASS1);
                g.fillOval(x0 + 2 + (int) px - 1, y0 + caption + (int) py - 1, 3, 3);
            }
            g.setColor(Color.BLACK);
            g.drawString(run.f().name() + "  " + ExploreReport.percent(run.accuracy()), x0 + 6, y0 + 15);
        }
        g.dispose();
        return png(img);
    }

    private static Color blend(float p) {
        float q = Float.isNaN(p) ? 0.5f : Math.max(0, Math.min(1, p));
        return new Color(
                Math.round(BACK0.getRed() + q * (BACK1.getRed() - BACK0.getRed())),
                Math.round(BACK0.getGreen() + q * (BACK1.getGreen() - BACK0.getGreen())),
                Math.round(BACK0.getBlue() + q * (BACK1.getBlue() - BACK0.getBlue())));
    }

    private static byte[] png(BufferedImage img) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ImageIO.write(img, "png", b);
        return b.toByteArray();
    }

    /** ‖dW‖ per layer, log scale: at initialisation, and after the steps. */
    static byte[] vanishing(List<DeepRun> deep, int steps) throws IOException {
        List<XYChart> charts = new ArrayList<>();
        for (boolean init : new boolean[] {true, false}) {
            XYChart c = chart(init ? "‖dW‖ per layer at initialisation" : "after " + steps + " Adam steps",
                    "layer (1 = input side)", "‖dW‖ (log scale)", 560, 400);
            c.getStyler().setYAxisLogarithmic(true);
            c.getStyler().setYAxisDecimalPattern("0E0");
            c.getStyler().setLegendPosition(init ? Styler.LegendPosition.InsideSE : Styler.LegendPosition.OutsideE);
            c.getStyler().setLegendVisible(!init);
            for (DeepRun d : deep) {
                double[] v = init ? d.atInit() : d.after();
                double[] layer = new double[v.length];
                double[] y = new double[v.length];
                for (int i = 0; i < v.length; i++) {
                    layer[i] = i + 1;
                    y[i] = Math.max(v[i], 1e-30);       // a log axis cannot show 0
                }
                XYSeries line = c.addSeries(d.f().name(), layer, y);
                line.setMarker(SeriesMarkers.NONE);
                line.setLineColor(color(d.f()));
                line.setLineStyle(stroke(d.f()));
            }
            charts.add(c);
        }
        return encode(charts, 1, 2);
    }

    /** Dead and never-active shares over the steps. */
    static byte[] dying(List<DyingRun> runs) throws IOException {
        XYChart c = chart("Hidden units without gradient (solid) and with input ≤ 0 on every point (dashed)",
                "step", "share of hidden units", 900, 420);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setYAxisMin(0.0);
        for (DyingRun r : runs) {
            String name = r.f().name() + " lr " + Catalogue.number(r.lr());
            double[] x = new double[r.steps().length];
            for (int i = 0; i < x.length; i++) {
                x[i] = r.steps()[i];
            }
            // relu at the ordinary rate in grey: it is the control, not a function of its own
            Color colour = r.lr() == Explore.HIGH_LR ? color(r.f()) : new Color(0x7f7f7f);
            XYSeries dead = c.addSeries(name + ": dead", x, r.dead());
            dead.setMarker(SeriesMarkers.NONE);
            dead.setLineStyle(new BasicStroke(2.5f));
            dead.setLineColor(colour);
            if (r.f().kind() != dev.nonlin.Activation.Kind.RELU) {   // for relu the two coincide
                XYSeries never = c.addSeries(name + ": input ≤ 0", x, r.neverActive());
                never.setMarker(SeriesMarkers.NONE);
                never.setLineStyle(SeriesLines.DASH_DASH);
                never.setLineColor(colour);
            }
        }
        return encode(List.of(c), 1, 1);
    }

    /** The training loss of each output-layer task. */
    static byte[] outputs(List<OutputRun> runs) throws IOException {
        List<XYChart> charts = new ArrayList<>();
        for (OutputRun r : runs) {
            XYChart c = chart(r.task(), "step", r.loss().name() + " (log scale)", 380, 320);
            c.getStyler().setYAxisLogarithmic(true);
            c.getStyler().setYAxisDecimalPattern("0.###E0");
            c.getStyler().setLegendVisible(false);
            double[] x = new double[r.curve().length];
            for (int i = 0; i < x.length; i++) {
                x[i] = Math.min((long) i * r.every(), (long) (x.length - 1) * r.every());
            }
            c.addSeries(r.loss().name(), x, r.curve()).setMarker(SeriesMarkers.NONE);
            charts.add(c);
        }
        return encode(charts, 1, charts.size());
    }

    private static XYChart chart(String title, String xTitle, String yTitle, int width, int height) {
        XYChart c = new XYChartBuilder().width(width).height(height).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        c.getStyler().setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        c.getStyler().setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setPlotGridLinesColor(new Color(0xe4e4e4));
        // a log axis draws a line at every minor tick: too busy, and it doubles the PNG's size
        c.getStyler().setPlotGridHorizontalLinesVisible(false);
        c.getStyler().setAntiAlias(true);
        return c;
    }

    private static byte[] encode(List<XYChart> charts, int rows, int cols) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        BitmapEncoder.saveBitmap(charts, rows, cols, b, BitmapEncoder.BitmapFormat.PNG);
        return b.toByteArray();
    }
}
