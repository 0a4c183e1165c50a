#!/usr/bin/env bash
# Runs on the GPU machine (no Maven, no network): the GPU test suite (activations, losses and the
# dense layer: CudaDifferentialTest, CudaDenseDifferentialTest, ...: every class tagged gpu),
# `nonlin check`, `nonlin accuracy --exhaustive` on CUDA (the README's CUDA accuracy table), the
# SGEMM throughput of each matmul path, and a short GPU-vs-CPU benchmark, from the folder that
# ci/prepare-gpu-check.sh filled (.device by default).
# Results (logs, JUnit XML, CSV, the bench's CSV/JSON/PNG and a calibration file) go to $OUT
# (default ./gpu-results).
# Every step has a time limit (T_* variables, seconds), so that one hang cannot spend the whole
# device budget; a step that hits it shows exit code 124. BUDGET (seconds, default 540) caps the
# whole script: each step gets the smaller of its T_* and what is left, so the summary is always
# written before the device call's own limit (600 s) kills everything. Steps run in order of
# value: correctness on the GPU first, the CPU-only suite last. The JUnit steps print a tree as
# tests finish, into $OUT/junit-*.txt, so a step stopped by its limit still shows what passed
# (the XML reports are only written when a run completes).
set -uo pipefail
deadline=$((SECONDS + ${BUDGET:-540}))
lim() { local t=$1 left=$((deadline - SECONDS)); (( left < t )) && t=$left; (( t < 1 )) && t=1; echo "$t"; }
cd "$(dirname "$0")/.."
dir=${DEVICE_DIR:-.device}
OUT=${OUT:-gpu-results}
mkdir -p "$OUT"
rt=/tmp/nonlin-runtime
[ -x "$rt/runtime/bin/java" ] || { mkdir -p "$rt" && tar -C "$rt" -xzf "$dir/runtime.tar.gz"; }
JAVA="$rt/runtime/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
CP="$dir/test-classes:$(ls "$dir"/lib/*.jar | tr '\n' ':')"

{
  echo "== nvidia-smi"; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1
  echo "== java"; $JAVA -version 2>&1
} | tee "$OUT/env.txt"

echo "== nonlin info" | tee "$OUT/info.txt"
timeout "$(lim 60)" $JAVA -cp "$CP" dev.nonlin.cli.Main info 2>&1 | tee -a "$OUT/info.txt"

echo "== JUnit: the GPU suite"
timeout "$(lim "${T_GPU_SUITE:-200}")" $JAVA -jar "$dir"/launcher/junit-platform-console-standalone-*.jar execute \
    --class-path "$CP" --scan-class-path "$dir/test-classes" --include-tag gpu \
    --reports-dir "$OUT/junit-gpu" --details=tree --details-theme=ascii --disable-ansi-colors --disable-banner > "$OUT/junit-gpu.txt" 2>&1
gpu_rc=$?
tail -80 "$OUT/junit-gpu.txt"

echo "== nonlin check --backend cuda"
timeout "$(lim "${T_CHECK:-45}")" $JAVA -cp "$CP" dev.nonlin.cli.Main check --backend cuda 2>&1 | tee "$OUT/check.txt"
check_rc=${PIPESTATUS[0]}

echo "== nonlin accuracy --backend cuda --exhaustive (every float input, reference on the device)"
timeout "$(lim "${T_ACCURACY:-120}")" $JAVA -cp "$CP" dev.nonlin.cli.Main accuracy --backend cuda --exhaustive --no-progress \
    --csv "$OUT/accuracy-cuda.csv" 2>&1 | tee "$OUT/accuracy-cuda.txt"
accuracy_rc=${PIPESTATUS[0]}

echo "== bandwidth on the device (2^${NONLIN_LOG2N:-28} elements) and the host-array path against the CPU"
timeout "$(lim "${T_BANDWIDTH:-45}")" $JAVA -Xmx8g -cp "$CP" dev.nonlin.cuda.DeviceBandwidth "${NONLIN_LOG2N:-28}" "$OUT/bandwidth.csv" 2>&1 | tee "$OUT/bandwidth.txt"

echo "== SGEMM throughput (4096^3): nonlin's tiled kernel, and cuBLAS where JCublas loads"
timeout "$(lim "${T_GEMM:-30}")" $JAVA -Xmx4g -cp "$CP" dev.nonlin.cuda.GemmThroughput 4096 "$OUT/gemm.csv" 2>&1 | tee "$OUT/gemm.txt"

echo "== nonlin bench --quick --calibrate: crossover per family (the jar's defaults are unmeasured until this runs)"
timeout "$(lim "${T_BENCH:-90}")" $JAVA -Xmx8g -Dnonlin.crossover.file="$OUT/crossover.properties" -cp "$CP" dev.nonlin.cli.Main bench --quick \
    --direction both --calibrate --no-progress --out "$OUT/bench" 2>&1 | tee "$OUT/bench.txt"
cat "$OUT/crossover.properties" 2>/dev/null

echo "== JUnit: everything else (CPU paths, CLI, kernel math on the host)"
timeout "$(lim "${T_REST:-300}")" $JAVA -jar "$dir"/launcher/junit-platform-console-standalone-*.jar execute \
    --class-path "$CP" --scan-class-path "$dir/test-classes" --exclude-tag gpu \
    --reports-dir "$OUT/junit-rest" --details=tree --details-theme=ascii --disable-ansi-colors --disable-banner > "$OUT/junit-rest.txt" 2>&1
tail -30 "$OUT/junit-rest.txt"

echo "gpu suite rc=$gpu_rc, check rc=$check_rc, accuracy rc=$accuracy_rc" | tee "$OUT/summary.txt"
[ "$gpu_rc" = 0 ] && [ "$check_rc" = 0 ] && [ "$accuracy_rc" = 0 ]
