package dev.nonlin.cli;

import com.google.gson.GsonBuilder;
import dev.nonlin.Crossover;
import dev.nonlin.cli.BenchSweep.Path;
import dev.nonlin.cli.BenchSweep.Point;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What {@code nonlin bench} makes of its measurements: the crossover per function, the table,
 * and the CSV and JSON files. (The chart is {@link BenchChart}.)
 */
final class BenchReport {
    private BenchReport() {
    }

    /** The measurements of one function in one direction. */
    record Series(String function, boolean forward, List<Point> points) {
        String direction() {
            return forward ? "forward" : "backward";
        }

        /** Seconds per call on a path, by size (absent where not measured). */
        TreeMap<Long, Double> times(Path p) {
            TreeMap<Long, Double> m = new TreeMap<>();
            for (Point pt : points) {
                if (pt.path() == p) {
                    m.put(pt.size(), pt.seconds());
                }
            }
            return m;
        }

        /** The fastest CPU path at each size (the default backend, or one core when that is faster). */
        TreeMap<Long, Double> bestCpu() {
            TreeMap<Long, Double> m = times(Path.CPU);
            times(Path.CPU_1T).forEach((n, t) -> m.merge(n, t, Math::min));
            return m;
        }

        /**
         * The smallest measured size from which the GPU's host-array path beats the best CPU path
         * at every larger measured size; {@link Crossover#NEVER} when it does not win at the
         * largest; null when the GPU was not measured.
         */
        Long crossover() {
            TreeMap<Long, Double> gpu = times(Path.CUDA_ARRAY);
            TreeMap<Long, Double> cpu = bestCpu();
            if (gpu.isEmpty() || cpu.isEmpty()) {
                return null;
            }
            long from = Crossover.NEVER;
            for (Long n : gpu.descendingKeySet()) {
                Double c = cpu.get(n);
                if (c == null || gpu.get(n) >= c) {
                    break;
                }
                from = n;
            }
            return from;
        }

        /**
         * auto's time over the better of the CPU backend and the GPU's host-array path, by size:
         * 1.0 means auto picked the winner, 1.25 that it was 25 % slower than the winner.
         */
        TreeMap<Long, Double> autoOverBest() {
            TreeMap<Long, Double> auto = times(Path.AUTO);
            TreeMap<Long, Double> best = times(Path.CPU);
            times(Path.CUDA_ARRAY).forEach((n, t) -> best.merge(n, t, Math::min));
            TreeMap<Long, Double> m = new TreeMap<>();
            auto.forEach((n, t) -> {
                if (best.containsKey(n)) {
                    m.put(n, t / best.get(n));
                }
            });
            return m;
        }
    }

    /** Groups points by function and direction, in the order measured. */
    static List<Series> series(List<Point> points) {
        Map<String, List<Point>> by = new LinkedHashMap<>();
        for (Point p : points) {
            by.computeIfAbsent(p.function() + "\u0000" + p.forward(), k -> new ArrayList<>()).add(p);
        }
        List<Series> out = new ArrayList<>();
        by.forEach((k, v) -> out.add(new Series(v.get(0).function(), v.get(0).forward(), v)));
        return out;
    }

    static String size(long n) {
        return Crossover.format(n);
    }

    static String crossoverText(Long c) {
        return c == null ? "n/a" : Crossover.format(c);
    }

    // ------------------------------------------------------------------ the table

    static void table(PrintWriter out, List<Series> all, List<Path> paths) {
        boolean gpuArray = paths.contains(Path.CUDA_ARRAY);
        boolean gpuTensor = paths.contains(Path.CUDA_TENSOR);
        boolean auto = paths.contains(Path.AUTO);
        for (Series s : all) {
            out.printf(Locale.ROOT, "%n%s %s", s.function(), s.direction());
            if (gpuArray) {
                out.printf(Locale.ROOT, "   (GPU pays for host arrays from %s elements)", crossoverText(s.crossover()));
            }
            out.println();
            StringBuilder h1 = new StringBuilder(String.format(Locale.ROOT, "%8s", ""));
            StringBuilder h2 = new StringBuilder(String.format(Locale.ROOT, "%8s", "elements"));
            for (Path p : paths) {
                if (p == Path.AUTO) {
                    continue;
                }
                h1.append(String.format(Locale.ROOT, " | %-22s", p.key + " (% of " + p.limit + ")"));
                h2.append(String.format(Locale.ROOT, " | %8s %6s %6s", "Melem/s", "GB/s", "%lim"));
            }
            if (gpuTensor) {
                h1.append(String.format(Locale.ROOT, " | %7s", "tensor"));
                h2.append(String.format(Locale.ROOT, " | %7s", "/cpu"));
            }
            if (gpuArray) {
                h1.append(String.format(Locale.ROOT, " | %7s", "array"));
                h2.append(String.format(Locale.ROOT, " | %7s", "/cpu"));
            }
            if (auto) {
                h1.append(String.format(Locale.ROOT, " | %17s", "auto"));
                h2.append(String.format(Locale.ROOT, " | %8s %8s", "Melem/s", "/best"));
            }
            out.println(h1);
            out.println(h2);
            TreeMap<Long, Double> cpu = s.bestCpu();
            TreeMap<Long, Double> autoOver = s.autoOverBest();
            for (Long n : s.times(paths.get(0)).keySet()) {
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%8s", size(n)));
                for (Path p : paths) {
                    if (p == Path.AUTO) {
                        continue;
                    }
                    Point pt = find(s, p, n);
                    row.append(pt == null ? String.format(Locale.ROOT, " | %22s", "")
                            : String.format(Locale.ROOT, " | %8.1f %6.2f %5.0f%%", pt.elementsPerSecond() / 1e6,
                            pt.gigabytesPerSecond(), pt.percentOfLimit()));
                }
                if (gpuTensor) {
                    row.append(ratio(cpu.get(n), s.times(Path.CUDA_TENSOR).get(n)));
                }
                if (gpuArray) {
                    row.append(ratio(cpu.get(n), s.times(Path.CUDA_ARRAY).get(n)));
                }
                if (auto) {
                    Point pt = find(s, Path.AUTO, n);
                    Double r = autoOver.get(n);
                    row.append(String.format(Locale.ROOT, " | %8.1f %7.2f%s", pt.elementsPerSecond() / 1e6,
                            r == null ? Double.NaN : r, r != null && r > 1.10 ? "!" : " "));
                }
                out.println(row);
            }
        }
    }

    private static String ratio(Double cpuSeconds, Double gpuSeconds) {
        if (cpuSeconds == null || gpuSeconds == null) {
            return String.format(Locale.ROOT, " | %7s", "");
        }
        return String.format(Locale.ROOT, " | %6.2f×", cpuSeconds / gpuSeconds);
    }

    private static Point find(Series s, Path p, long n) {
        for (Point pt : s.points()) {
            if (pt.path() == p && pt.size() == n) {
                return pt;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ files

    static final String CSV_HEADER = "function,direction,rows,cols,elements,path,seconds,elements_per_s,gb_per_s,"
            + "limit,limit_seconds,percent_of_limit";

    static String csv(List<Point> points) {
        StringBuilder b = new StringBuilder(CSV_HEADER).append('\n');
        for (Point p : points) {
            b.append(String.format(Locale.ROOT, "\"%s\",%s,%d,%d,%d,%s,%.6e,%.6e,%.4f,%s,%s,%s%n",
                    p.function().replace("\"", "\"\""), p.direction(), p.rows(), p.cols(), p.size(), p.path().key,
                    p.seconds(), p.elementsPerSecond(), p.gigabytesPerSecond(),
                    p.path().limit == null ? "" : p.path().limit,
                    Double.isNaN(p.limitSeconds()) ? "" : String.format(Locale.ROOT, "%.6e", p.limitSeconds()),
                    Double.isNaN(p.limitSeconds()) ? "" : String.format(Locale.ROOT, "%.1f", p.percentOfLimit())));
        }
        return b.toString();
    }

    static String json(Map<String, Object> about, List<Point> points) {
        Map<String, Object> root = new LinkedHashMap<>(about);
        List<Map<String, Object>> crossovers = new ArrayList<>();
        for (Series s : series(points)) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("function", s.function());
            c.put("direction", s.direction());
            Long x = s.crossover();
            c.put("crossover_elements", x == null || x == Crossover.NEVER ? null : x);
            c.put("crossover", crossoverText(x));
            TreeMap<Long, Double> a = s.autoOverBest();
            c.put("auto_worst_over_best", a.isEmpty() ? null : a.values().stream().max(Double::compare).get());
            crossovers.add(c);
        }
        root.put("crossovers", crossovers);
        root.put("results", points.stream().map(p -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("function", p.function());
            m.put("direction", p.direction());
            m.put("rows", p.rows());
            m.put("cols", p.cols());
            m.put("elements", p.size());
            m.put("path", p.path().key);
            m.put("seconds", p.seconds());
            m.put("elements_per_s", p.elementsPerSecond());
            m.put("gb_per_s", p.gigabytesPerSecond());
            m.put("limit", p.path().limit);
            m.put("limit_seconds", Double.isNaN(p.limitSeconds()) ? null : p.limitSeconds());
            m.put("percent_of_limit", Double.isNaN(p.limitSeconds()) ? null : p.percentOfLimit());
            return m;
        }).collect(Collectors.toList()));
        return new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create().toJson(root) + "\n";
    }
}
