#!/usr/bin/env bash
# Runs on the GPU machine (no Maven, no network): the GPU test suite (activations, losses and the
# dense layer: CudaDifferentialTest, CudaDenseDifferentialTest, ...: every class tagged gpu),
# `nonlin check`, `nonlin accuracy --exhaustive` on CUDA (the README's CUDA accuracy table) and
# `nonlin accuracy --losses` on CUDA, the
# device bandwidth and the host-array path (with the backend's copy threads, then with one), the
# SGEMM throughput of each matmul path, a short GPU-vs-CPU benchmark, and `nonlin explore --quick`
# on auto (when time is left), from the folder that
# ci/prepare-gpu-check.sh filled (.device by default).
# Results (logs, JUnit XML, CSV, the bench's CSV/JSON/PNG and a calibration file) go to $RESULTS
# (default ./gpu-results). When $OUT is set (the device tool's folder, from which only 8 files
# come back), they are packed into $OUT/gpu-results.tgz, with summary.txt and
# crossover.properties beside it, also when a step fails.
# Every JVM runs with -Dnonlin.cuda.strict=true: a CUDA error fails its step instead of being
# computed on the CPU, which would compare the CPU with itself and pass.
# Every step has a time limit (T_* variables, seconds), so that one hang cannot spend the whole
# device budget; a step that hits it shows exit code 124 (137 if it ignored SIGTERM for 10 s).
# BUDGET (seconds, default 420) caps the whole script: each step gets the smaller of its T_* and
# what is left, so the summary is always written before the device call's own limit kills
# everything, and a session's 15 minutes of device time keep room for a second try. Steps run in
# order of value: correctness on the GPU first. The CPU-only suite, which CI runs anyway, runs
# only when T_REST is set (seconds). The JUnit steps print a tree as tests finish, into
# junit-*.txt, so a step stopped by its limit still shows what passed (the XML reports are only
# written when a run completes).
set -uo pipefail
deadline=$((SECONDS + ${BUDGET:-420}))
lim() { local t=$1 left=$((deadline - SECONDS)); (( left < t )) && t=$left; (( t < 1 )) && t=1; echo "$t"; }
step() { local t; t=$(lim "$1"); shift; timeout -k 10 "$t" "$@"; }
cd "$(dirname "$0")/.."
dir=${DEVICE_DIR:-.device}
RESULTS=${RESULTS:-gpu-results}
mkdir -p "$RESULTS"
pack() {
  [ -n "${OUT:-}" ] || return 0
  tar -czf "$OUT/gpu-results.tgz" -C "$(dirname "$RESULTS")" "$(basename "$RESULTS")"
  cp "$RESULTS/summary.txt" "$RESULTS/crossover.properties" "$OUT/" 2>/dev/null
  return 0
}
trap pack EXIT
rt=/tmp/nonlin-runtime
[ -x "$rt/runtime/bin/java" ] || { mkdir -p "$rt" && tar -C "$rt" -xzf "$dir/runtime.tar.gz"; }
JAVA="$rt/runtime/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dnonlin.cuda.strict=true"
CP="$dir/test-classes:$(ls "$dir"/lib/*.jar | tr '\n' ':')"

{
  echo "== built"; cat "$dir/BUILT" 2>/dev/null || echo "unknown (no $dir/BUILT: rerun ci/prepare-gpu-check.sh)"
  echo "== nvidia-smi"; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1
  echo "== java"; $JAVA -version 2>&1
} | tee "$RESULTS/env.txt"

echo "== nonlin info" | tee "$RESULTS/info.txt"
step 60 $JAVA -cp "$CP" dev.nonlin.cli.Main info 2>&1 | tee -a "$RESULTS/info.txt"

echo "== JUnit: the GPU suite"
step "${T_GPU_SUITE:-180}" $JAVA -jar "$dir"/launcher/junit-platform-console-standalone-*.jar execute \
    --class-path "$CP" --scan-class-path "$dir/test-classes" --include-tag gpu \
    --reports-dir "$RESULTS/junit-gpu" --details=tree --details-theme=ascii --disable-ansi-colors --disable-banner > "$RESULTS/junit-gpu.txt" 2>&1
gpu_rc=$?
tail -80 "$RESULTS/junit-gpu.txt"

echo "== nonlin check --backend cuda"
step "${T_CHECK:-45}" $JAVA -cp "$CP" dev.nonlin.cli.Main check --backend cuda 2>&1 | tee "$RESULTS/check.txt"
check_rc=${PIPESTATUS[0]}

echo "== nonlin accuracy --backend cuda --exhaustive (every float input, reference on the device)"
step "${T_ACCURACY:-90}" $JAVA -cp "$CP" dev.nonlin.cli.Main accuracy --backend cuda --exhaustive --no-progress \
    --csv "$RESULTS/accuracy-cuda.csv" 2>&1 | tee "$RESULTS/accuracy-cuda.txt"
accuracy_rc=${PIPESTATUS[0]}

echo "== nonlin accuracy --losses --backend cuda (L and dz through device tensors, against float64; 2e4 elements per loss: every call allocates its tensors)"
step "${T_LOSSES:-40}" $JAVA -cp "$CP" dev.nonlin.cli.Main accuracy --losses --backend cuda --samples 20000 --no-progress \
    --csv "$RESULTS/loss-accuracy-cuda.csv" 2>&1 | tee "$RESULTS/loss-accuracy-cuda.txt"
losses_rc=${PIPESTATUS[0]}

echo "== bandwidth on the device (2^${NONLIN_LOG2N:-28} elements) and the host-array path against the CPU"
step "${T_BANDWIDTH:-40}" $JAVA -Xmx8g -cp "$CP" dev.nonlin.cuda.DeviceBandwidth "${NONLIN_LOG2N:-28}" "$RESULTS/bandwidth.csv" 2>&1 | tee "$RESULTS/bandwidth.txt"
echo "== the host-array path again with one copying thread (what HostCopy's threads buy)"
step "${T_BANDWIDTH_1T:-20}" $JAVA -Xmx8g -Dnonlin.cuda.copyThreads=1 -cp "$CP" dev.nonlin.cuda.DeviceBandwidth "${NONLIN_LOG2N:-28}" \
    "$RESULTS/bandwidth-1thread.csv" host 2>&1 | tee "$RESULTS/bandwidth-1thread.txt"

echo "== SGEMM throughput (4096^3): nonlin's tiled kernel, and cuBLAS where JCublas loads"
step "${T_GEMM:-30}" $JAVA -Xmx4g -cp "$CP" dev.nonlin.cuda.GemmThroughput 4096 "$RESULTS/gemm.csv" 2>&1 | tee "$RESULTS/gemm.txt"

echo "== nonlin bench --quick --calibrate: crossover per family (the jar's defaults are unmeasured until this runs)"
step "${T_BENCH:-75}" $JAVA -Xmx8g -Dnonlin.crossover.file="$RESULTS/crossover.properties" -cp "$CP" dev.nonlin.cli.Main bench --quick \
    --direction both --calibrate --no-progress --out "$RESULTS/bench" 2>&1 | tee "$RESULTS/bench.txt"
cat "$RESULTS/crossover.properties" 2>/dev/null

echo "== nonlin explore --quick on auto: networks trained end to end where auto puts them (the GPU)"
step "${T_EXPLORE:-40}" $JAVA -Xmx4g -cp "$CP" dev.nonlin.cli.Main explore --quick --out "$RESULTS/explore" \
    > "$RESULTS/explore.txt" 2>&1
echo "explore rc=$?"; tail -25 "$RESULTS/explore.txt"

if [ -n "${T_REST:-}" ]; then
  echo "== JUnit: everything else (CPU paths, CLI, kernel math on the host)"
  step "$T_REST" $JAVA -jar "$dir"/launcher/junit-platform-console-standalone-*.jar execute \
      --class-path "$CP" --scan-class-path "$dir/test-classes" --exclude-tag gpu \
      --reports-dir "$RESULTS/junit-rest" --details=tree --details-theme=ascii --disable-ansi-colors --disable-banner > "$RESULTS/junit-rest.txt" 2>&1
  tail -30 "$RESULTS/junit-rest.txt"
fi

{
  echo "gpu suite rc=$gpu_rc, check rc=$check_rc, accuracy rc=$accuracy_rc, losses rc=$losses_rc; $((SECONDS)) s"
  # a suite whose tests all skipped (no usable GPU) also exits 0: the counts tell
  grep -E "tests (successful|skipped|failed|aborted)" "$RESULTS/junit-gpu.txt" | tr -s ' ' | tr '\n' ';'; echo
  grep -hE "pinned copies|host copies|float\[\] 2\^26" "$RESULTS"/bandwidth*.txt 2>/dev/null
} | tee "$RESULTS/summary.txt"
[ "$gpu_rc" = 0 ] && [ "$check_rc" = 0 ] && [ "$accuracy_rc" = 0 ] && [ "$losses_rc" = 0 ]
