package dev.nonlin.cli;

import dev.nonlin.Crossover;
import dev.nonlin.cli.BenchReport.Series;
import dev.nonlin.cli.BenchSweep.Path;
import dev.nonlin.cli.BenchSweep.Point;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The chart of {@code nonlin bench}: throughput against size, log-log, one panel per function and
 * direction, one line per path, each path's limit dashed, and the crossover marked. Drawn with
 * XChart, headless.
 */
final class BenchChart {
    private BenchChart() {
    }

    /**
     * The PNG, drawn in memory (the caller writes it with the run's other files).
     *
     * @throws LinkageError when the Java runtime lacks {@code java.desktop} (a jlink'd runtime
     *                      without it); the caller says so instead of failing
     */
    static byte[] png(List<Point> points) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Series> all = BenchReport.series(points);
        List<XYChart> charts = new ArrayList<>();
        for (Series s : all) {
            charts.add(chart(s));
        }
        boolean both = all.stream().anyMatch(Series::forward) && all.stream().anyMatch(s -> !s.forward());
        // XChart's grid needs rows × cols == charts: a column per direction
        int cols = both ? 2 : 1;
        int rows = charts.size() / cols;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BitmapEncoder.saveBitmap(charts, rows, cols, out, BitmapEncoder.BitmapFormat.PNG);
        return out.toByteArray();
    }

    private static XYChart chart(Series s) {
        XYChart c = new XYChartBuilder().width(640).height(420)
                .title(s.function() + " " + s.direction())
                .xAxisTitle("elements per call").yAxisTitle("million elements / s").build();
        XYStyler st = c.getStyler();
        st.setXAxisLogarithmic(true);
        st.setYAxisLogarithmic(true);
        st.setXAxisDecimalPattern("0.#E0");
        st.setYAxisDecimalPattern("#,##0.#");
        st.setLegendPosition(Styler.LegendPosition.InsideNW);
        st.setLegendFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 10));
        st.setMarkerSize(5);
        for (Path p : Path.values()) {
            TreeMap<Long, Double> t = s.times(p);
            if (t.isEmpty()) {
                continue;
            }
            c.addSeries(p.key, xs(t), melems(t)).setMarker(SeriesMarkers.CIRCLE);
            if (p.limit != null && (p == Path.CPU || p.gpu())) {
                TreeMap<Long, Double> lim = new TreeMap<>();
                for (Point pt : s.points()) {
                    if (pt.path() == p) {
                        lim.put(pt.size(), pt.limitSeconds());
                    }
                }
                XYSeries roof = c.addSeries(p.limit + " (limit)", xs(lim), melems(lim));
                roof.setLineStyle(SeriesLines.DASH_DASH);
                roof.setMarker(SeriesMarkers.NONE);
            }
        }
        Long x = s.crossover();
        if (x != null && x != Crossover.NEVER) {
            c.addAnnotation(new AnnotationLine(x, true, false));
            c.addAnnotation(new AnnotationText("crossover " + BenchReport.size(x), x, topOf(s), false));
        }
        return c;
    }

    private static double topOf(Series s) {
        double max = 0;
        for (Point p : s.points()) {
            max = Math.max(max, p.elementsPerSecond() / 1e6);
        }
        return max;
    }

    private static double[] xs(TreeMap<Long, Double> t) {
        return t.keySet().stream().mapToDouble(Long::doubleValue).toArray();
    }

    private static double[] melems(TreeMap<Long, Double> t) {
        return t.entrySet().stream().mapToDouble(e -> e.getKey() / e.getValue() / 1e6).toArray();
    }
}
