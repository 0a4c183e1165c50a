package dev.nonlin.cli;

import dev.nonlin.Activation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code nonlin list}: the catalogue, with properties measured on the reference implementation. */
@Command(name = "list", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"List the catalogue: each function's spec, formula and derivative, and its range, "
                + "zero-centring, vanishing gradient, dead zone and largest slope, measured by sampling the "
                + "float64 reference (not typed in)."})
final class ListCommand implements Callable<Integer> {

    enum Format { text, csv, markdown }

    @Option(names = "--format", defaultValue = "text", paramLabel = "text|csv|markdown",
            description = "Output format (default: ${DEFAULT-VALUE}).")
    Format format;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        common.apply();
        List<List<String>> rows = new ArrayList<>();
        for (Activation f : Catalogue.functions()) {
            rows.add(Catalogue.row(f, Catalogue.measure(f)));
        }
        PrintWriter out = spec.commandLine().getOut();
        switch (format) {
            case csv -> csv(out, rows);
            case markdown -> markdown(out, rows);
            default -> text(out, rows);
        }
        out.flush();
        return Main.OK;
    }

    private static void text(PrintWriter out, List<List<String>> rows) {
        List<String> cols = Catalogue.COLUMNS;
        int[] width = new int[cols.size()];
        for (int c = 0; c < width.length; c++) {
            width[c] = cols.get(c).length();
            for (List<String> r : rows) {
                width[c] = Math.max(width[c], r.get(c).length());
            }
        }
        out.println(pad(cols, width).stripTrailing());
        StringBuilder rule = new StringBuilder();
        for (int c = 0; c < width.length; c++) {
            rule.append("-".repeat(width[c])).append(c + 1 < width.length ? "  " : "");
        }
        out.println(rule);
        for (List<String> r : rows) {
            out.println(pad(r, width).stripTrailing());
        }
        out.println();
        out.println(Catalogue.legend());
    }

    private static String pad(List<String> cells, int[] width) {
        StringBuilder b = new StringBuilder();
        for (int c = 0; c < cells.size(); c++) {
            String s = cells.get(c);
            b.append(s).append(" ".repeat(width[c] - s.length())).append("  ");
        }
        return b.toString();
    }

    /** RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled. */
    private static void csv(PrintWriter out, List<List<String>> rows) {
        out.println(csvLine(Catalogue.COLUMNS));
        for (List<String> r : rows) {
            out.println(csvLine(r));
        }
    }

    static String csvLine(List<String> cells) {
        StringBuilder b = new StringBuilder();
        for (int c = 0; c < cells.size(); c++) {
            String s = cells.get(c);
            if (c > 0) {
                b.append(',');
            }
            if (s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0) {
                b.append('"').append(s.replace("\"", "\"\"")).append('"');
            } else {
                b.append(s);
            }
        }
        return b.toString();
    }

    private static void markdown(PrintWriter out, List<List<String>> rows) {
        out.println(mdLine(Catalogue.COLUMNS, false));
        StringBuilder rule = new StringBuilder("|");
        for (int c = 0; c < Catalogue.COLUMNS.size(); c++) {
            rule.append("---|");
        }
        out.println(rule);
        for (List<String> r : rows) {
            out.println(mdLine(r, true));
        }
    }

    /** A table row; the spec, formula and derivative go in code spans so that `*` and `_` stay literal. */
    private static String mdLine(List<String> cells, boolean code) {
        StringBuilder b = new StringBuilder("|");
        for (int c = 0; c < cells.size(); c++) {
            String s = cells.get(c).replace("|", "\\|");
            b.append(' ').append(code && c < 3 ? "`" + s + "`" : s).append(" |");
        }
        return b.toString();
    }
}
