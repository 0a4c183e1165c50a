package dev.nonlin.cli;

import dev.nonlin.cli.Explore.Claim;
import dev.nonlin.cli.Explore.Collapse;
import dev.nonlin.cli.Explore.DeepRun;
import dev.nonlin.cli.Explore.DyingRun;
import dev.nonlin.cli.Explore.Nonlinearity;
import dev.nonlin.cli.Explore.OutputRun;
import dev.nonlin.cli.Explore.SpiralRun;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The HTML page and the text of {@code nonlin explore}. The page embeds every picture as a base64
 * {@code data:} URI, so it opens offline and can be mailed as one file; the PNGs are also written
 * beside it. No AWT here: the pictures are {@link ExplorePictures}', so that on a runtime without
 * {@code java.desktop} this class still loads and the report is written without them.
 */
final class ExploreReport {
    private ExploreReport() {
    }

    /** Everything the report shows. */
    record Results(String backend, String why, long seed, boolean quick, Explore.Sizes sizes, Nonlinearity nonlinearity,
                   List<DeepRun> deep, List<DyingRun> dying, List<OutputRun> outputs, List<Claim> claims,
                   double seconds) {
    }

    /** The PNGs, in the order the report shows them ({@link ExplorePictures} draws them). */
    static final List<String> PICTURES = List.of("boundaries.png", "vanishing.png", "dying.png", "outputs.png");

    // ------------------------------------------------------------------ the page

    static String html(Results r, Map<String, byte[]> pictures) {
        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>nonlin explore</title>\n<style>\n")
                .append("body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}\n")
                .append("h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}\n")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}\n")
                .append("td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}\n")
                .append(".bad{background:#fde2e1}.small{color:#666;font-size:.9em}img{max-width:100%}\n")
                .append("code{background:#f4f4f4;padding:0 3px}\n</style></head><body>\n");
        h.append("<h1>Activation functions, measured</h1>\n");
        h.append("<p>Small networks trained with <code>dev.nonlin.nn</code> on generated data, to show four things the "
                + "textbooks say about activation functions, measured rather than asserted. Every run is seeded: the same "
                + "seed and backend give the same numbers.</p>\n");
        h.append("<table>")
                .append(row("backend", esc(r.backend)))
                .append(row("chosen", esc(r.why)))
                .append(row("seed", Long.toString(r.seed)))
                .append(row("mode", r.quick ? "--quick (smaller nets, fewer steps)" : "default"))
                .append(row("run time", String.format(Locale.ROOT, "%.1f s", r.seconds)))
                .append(row("Java", esc(System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")")))
                .append("</table>\n");

        nonlinearity(h, r, pictures);
        vanishing(h, r, pictures);
        dying(h, r, pictures);
        outputs(h, r, pictures);
        claims(h, r);
        h.append("<p class=\"small\">Written by <code>nonlin explore</code>. The pictures are embedded; the same PNGs "
                + "are in this folder.</p>\n</body></html>\n");
        return h.toString();
    }

    private static void nonlinearity(StringBuilder h, Results r, Map<String, byte[]> pictures) {
        Nonlinearity n = r.nonlinearity;
        Explore.Sizes s = r.sizes;
        h.append("<h2>1. Why non-linearity</h2>\n");
        h.append(String.format(Locale.ROOT, "<p>A two-arm spiral (%d training points, %d held out; no straight line "
                + "separates the arms). The same MLP, 2 → %d → %d → 2, is trained with each hidden activation: %d "
                + "full-batch Adam steps on softmax cross-entropy. The accuracy is on the held-out points; chance is "
                + "50 %%.</p>\n", s.spiralTrain(), s.spiralTest(), s.width(), s.width(), s.spiralSteps()));
        h.append(img(pictures, "boundaries.png", "decision regions per activation"));
        h.append("<table><tr><th>hidden activation</th><th>held-out accuracy</th><th>final training loss</th></tr>\n");
        for (SpiralRun run : n.runs()) {
            h.append("<tr><td>").append(esc(run.f().toString())).append("</td><td class=n>")
                    .append(percent(run.accuracy())).append("</td><td class=n>").append(Catalogue.number(run.loss()))
                    .append("</td></tr>\n");
        }
        h.append("</table>\n");
        Collapse c = n.collapse();
        h.append("<p><b>The linear net is one matrix.</b> With identity activations the three layers compose to "
                + "x·W₁W₂W₃ + ((b₁W₂ + b₂)W₃ + b₃): a single affine map, so depth adds nothing and the decision "
                + "boundary is a straight line. Multiplying the trained weights out (in double):</p>\n");
        h.append("<p>W = W₁·W₂·W₃ = ").append(matrix(c.w(), 2)).append(", c = ").append(matrix(c.c(), 2)).append("</p>\n");
        h.append(String.format(Locale.ROOT, "<p>max |net(x) − (x·W + c)| over the held-out points = <b>%s</b> (outputs "
                        + "up to %s: float rounding), and the single matrix classifies them with accuracy %s, as the "
                        + "net does.</p>\n",
                Catalogue.number(c.maxDiff()), Catalogue.number(c.maxOut()), percent(c.accuracy())));
    }

    private static void vanishing(StringBuilder h, Results r, Map<String, byte[]> pictures) {
        h.append("<h2>2. Vanishing gradients</h2>\n");
        h.append(String.format(Locale.ROOT, "<p>A %d-layer net (2 → %d → … → %d → 2), each activation with its usual "
                        + "initialisation (He for the rectifiers, LeCun for selu, Xavier for tanh, sigmoid and identity), "
                        + "on %d spiral points. The gradient norm ‖dW‖ of each layer's weights, at initialisation and after "
                        + "%d Adam steps (lr %s). A gradient that fades toward the input shows as a line falling to the "
                        + "left.</p>\n", Explore.DEPTH, r.sizes.deepWidth(), r.sizes.deepWidth(), r.sizes.deepBatch(),
                r.sizes.deepSteps(), Catalogue.number(Explore.DEEP_LR)));
        h.append(img(pictures, "vanishing.png", "gradient norm per layer"));
        h.append("<table><tr><th>activation</th><th>‖dW₁‖ at init</th><th>‖dW₂₀‖ at init</th><th>ratio first/last</th>"
                + "<th>ratio after the steps</th></tr>\n");
        for (DeepRun d : r.deep) {
            double after = d.after()[0] / d.after()[d.after().length - 1];
            h.append("<tr").append(d.ratio() < Explore.VANISHES ? " class=bad" : "").append("><td>")
                    .append(esc(d.f().toString())).append("</td><td class=n>").append(sci(d.atInit()[0]))
                    .append("</td><td class=n>").append(sci(d.atInit()[d.atInit().length - 1]))
                    .append("</td><td class=n>").append(sci(d.ratio())).append("</td><td class=n>").append(sci(after))
                    .append("</td></tr>\n");
        }
        h.append("</table>\n<p class=small>σ′ ≤ ¼, so each sigmoid layer can shrink the gradient fourfold; over 19 "
                + "layers that compounds. Whether tanh fades depends on where its inputs sit: Xavier initialisation keeps "
                + "them in tanh's near-linear middle (see the RMS in section 5), where tanh′ ≈ 1.</p>\n");
    }

    private static void dying(StringBuilder h, Results r, Map<String, byte[]> pictures) {
        h.append("<h2>3. Dying ReLU</h2>\n");
        DyingRun first = r.dying.get(0);
        h.append(String.format(Locale.ROOT, "<p>An MLP 2 → %d → %d → %d → 2 on the spiral, trained with Adam at a high "
                        + "learning rate (%s, five times the rate of section 1) for %d steps, and relu once more at %s for "
                        + "contrast. Every few steps: the share of hidden units that receive <b>no gradient on any training "
                        + "point</b> (dead: nothing can bring them back), and the share whose input is ≤ 0 on every point "
                        + "(for relu the same units; leaky_relu and elu still pass a gradient there).</p>\n",
                r.sizes.dyingWidth(), r.sizes.dyingWidth(), r.sizes.dyingWidth(), Catalogue.number(Explore.HIGH_LR),
                r.sizes.dyingSteps(), Catalogue.number(Explore.NORMAL_LR)));
        h.append(img(pictures, "dying.png", "dead units over training"));
        h.append("<table><tr><th>activation</th><th>lr</th><th>dead at start</th><th>dead at the end</th>"
                + "<th>input ≤ 0 at the end</th><th>held-out accuracy</th></tr>\n");
        for (DyingRun d : r.dying) {
            h.append("<tr><td>").append(esc(d.f().toString())).append("</td><td class=n>").append(Catalogue.number(d.lr()))
                    .append("</td><td class=n>").append(percent(d.dead()[0])).append("</td><td class=n>")
                    .append(percent(d.lastDead())).append("</td><td class=n>").append(percent(d.lastNeverActive()))
                    .append("</td><td class=n>").append(percent(d.accuracy())).append("</td></tr>\n");
        }
        h.append("</table>\n");
        if (first.f().kind() == dev.nonlin.Activation.Kind.RELU) {
            h.append("<p class=small>A wide net loses little accuracy when units die; a narrow one, or one that loses a "
                    + "whole layer, does.</p>\n");
        }
    }

    private static void outputs(StringBuilder h, Results r, Map<String, byte[]> pictures) {
        h.append("<h2>4. Output layers and their losses</h2>\n");
        h.append(String.format(Locale.ROOT, "<p>Each task gets the output layer that matches it, with relu hidden "
                        + "layers 2 → %d → %d (1 → %d → %d for the regression) and %d Adam steps. The sigmoid and the "
                        + "softmax are folded into their losses (<code>bce_with_logits</code>, "
                        + "<code>softmax_cross_entropy</code>), which is both cheaper and stable: the network's last layer "
                        + "is linear and outputs logits.</p>\n", r.sizes.width(), r.sizes.width(), r.sizes.width(),
                r.sizes.width(), r.sizes.outputSteps()));
        h.append(img(pictures, "outputs.png", "training loss per task"));
        h.append("<table><tr><th>task</th><th>output layer + loss</th><th>held-out metric</th><th>constant guess</th>"
                + "<th>loss first → last</th></tr>\n");
        for (OutputRun o : r.outputs) {
            boolean acc = o.metricName().equals("accuracy");
            h.append("<tr><td>").append(esc(o.task())).append("</td><td>").append(esc(o.head())).append("</td><td class=n>")
                    .append(o.metricName()).append(" ").append(acc ? percent(o.metric()) : Catalogue.number(o.metric()))
                    .append("</td><td class=n>").append(acc ? percent(o.baseline()) : Catalogue.number(o.baseline()))
                    .append("</td><td class=n>").append(Catalogue.number(o.curve()[0])).append(" → ")
                    .append(Catalogue.number(o.curve()[o.curve().length - 1])).append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    private static void claims(StringBuilder h, Results r) {
        h.append("<h2>5. The comparison table, measured</h2>\n");
        h.append(String.format(Locale.ROOT, "<p>Each cell: the textbook claim, then what the runs above measured. "
                        + "<b>Range</b>: the formula's range (as <code>nonlin list</code> measures it) against the least "
                        + "and greatest hidden output seen in sections 1 and 2. <b>Zero-centred</b>: |mean| ≤ %s·RMS of the "
                        + "hidden outputs of the %d-layer net at initialisation. <b>Vanishing</b>: ‖dW₁‖/‖dW₂₀‖ &lt; %s at "
                        + "initialisation. <b>Dead neurons</b>: at least %s of the hidden units get no gradient on any "
                        + "point, in any run of the function (section 1 after training, section 2 at initialisation, "
                        + "section 3 at the end). Cells where the measurement disagrees with the claim are marked.</p>\n",
                Catalogue.number(Explore.CENTRED), Explore.DEPTH, Catalogue.number(Explore.VANISHES),
                percent(Explore.DYING_SHARE)));
        h.append("<table><tr><th>activation</th><th>range</th><th>zero-centred</th><th>vanishing gradients</th>"
                + "<th>dead neurons</th></tr>\n");
        for (Claim c : r.claims) {
            List<String> bad = c.disagreements();
            h.append("<tr><td>").append(esc(c.f().name())).append("</td>");
            h.append(cell(bad.contains("range"), c.range() + " → seen [" + Catalogue.number(c.observed()[0]) + ", "
                    + Catalogue.number(c.observed()[1]) + "]"));
            h.append(cell(bad.contains("zero-centred"), yes(c.textbook().zeroCentred()) + " → " + yes(c.centred())
                    + " (|mean|/RMS " + Catalogue.number(c.centring()) + ", RMS " + Catalogue.number(c.rms()) + ")"));
            h.append(cell(bad.contains("vanishing"), yes(c.textbook().vanishing()) + " → " + yes(c.vanishes())
                    + " (ratio " + sci(c.ratio()) + ")"));
            h.append(cell(bad.contains("dead neurons"), yes(c.textbook().deadNeurons()) + " → " + yes(c.dies())
                    + " (" + percent(c.dead()) + " dead)"));
            h.append("</tr>\n");
        }
        h.append("</table>\n");
        List<String> lines = disagreements(r.claims);
        if (lines.isEmpty()) {
            h.append("<p><b>No disagreements</b>: every claim held in these runs.</p>\n");
        } else {
            h.append("<p><b>Disagreements</b> (").append(lines.size()).append("):</p>\n<ul>\n");
            for (String l : lines) {
                h.append("<li>").append(esc(l)).append("</li>\n");
            }
            h.append("</ul>\n<p class=small>A disagreement is not an error of the library: it says where a rule of thumb "
                    + "depends on things the table leaves out (the initialisation, the depth, the learning rate).</p>\n");
        }
    }

    /** One sentence per disagreement, with the numbers. */
    static List<String> disagreements(List<Claim> claims) {
        List<String> out = new ArrayList<>();
        for (Claim c : claims) {
            String f = c.f().name();
            for (String d : c.disagreements()) {
                switch (d) {
                    case "range" -> out.add(f + ": outputs seen in [" + Catalogue.number(c.observed()[0]) + ", "
                            + Catalogue.number(c.observed()[1]) + "], outside the formula's range " + c.range());
                    case "zero-centred" -> out.add(f + ": the textbook says " + (c.textbook().zeroCentred() ? "" : "not ")
                            + "zero-centred, but the hidden outputs of the deep net have |mean|/RMS = "
                            + Catalogue.number(c.centring()) + (c.centred() ? " (centred" : " (not centred")
                            + "; RMS " + Catalogue.number(c.rms()) + ")");
                    case "vanishing" -> out.add(f + ": the textbook says its gradients " + (c.textbook().vanishing()
                            ? "vanish" : "do not vanish") + ", but ‖dW₁‖/‖dW₂₀‖ = " + sci(c.ratio())
                            + " at initialisation (hidden outputs at RMS " + Catalogue.number(c.rms()) + ")");
                    case "dead neurons" -> out.add(f + ": the textbook says it " + (c.textbook().deadNeurons()
                            ? "has" : "has no") + " dead neurons, but " + percent(c.dead()) + " of its hidden units got no "
                            + "gradient in the worst run");
                    default -> throw new IllegalStateException(d);
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ small pieces

    private static String img(Map<String, byte[]> pictures, String name, String alt) {
        byte[] png = pictures.get(name);
        if (png == null) {
            return "<p class=small>(" + esc(name) + " could not be drawn on this machine)</p>\n";
        }
        return "<p><img alt=\"" + esc(alt) + "\" src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png)
                + "\"></p>\n";
    }

    private static String row(String k, String v) {
        return "<tr><th>" + k + "</th><td>" + v + "</td></tr>";
    }

    private static String cell(boolean bad, String text) {
        return "<td" + (bad ? " class=bad" : "") + ">" + esc(text) + (bad ? " <b>✗</b>" : "") + "</td>";
    }

    private static String yes(boolean b) {
        return b ? "yes" : "no";
    }

    static String percent(double v) {
        return String.format(Locale.ROOT, "%.1f %%", 100 * v);
    }

    static String sci(double v) {
        return String.format(Locale.ROOT, v != 0 && (Math.abs(v) < 1e-2 || Math.abs(v) >= 1e4) ? "%.2e" : "%.3g", v);
    }

    private static String matrix(double[] m, int cols) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < m.length; i++) {
            s.append(i == 0 ? "" : i % cols == 0 ? "; " : ", ").append(Catalogue.number(m[i]));
        }
        return s.append("]").toString();
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
