#!/usr/bin/env bash
# Prepares everything ci/gpu-check.sh needs on a GPU machine that has no Java, no Maven and no
# network: the jars, the test classes and their dependencies, the JUnit console launcher, and a
# jlink'd Java runtime, packed into .device/ (ignored by git; carried to the device as one folder).
# The runtime has java.desktop (+11 MB) so that `nonlin bench` can draw its PNG there.
#
#   bash ci/prepare-gpu-check.sh        # then carry .device and run: bash ci/gpu-check.sh
#
# Needs: Maven, nvcc (so that the jar carries PTX), and a full JDK for jlink (the Temurin JDK by
# default: it runs on any glibc; override with JLINK_JDK=/path/to/jdk).
set -euo pipefail
cd "$(dirname "$0")/.."
JLINK_JDK=${JLINK_JDK:-$(ls -d /usr/lib/jvm/temurin-*-jdk-* 2>/dev/null | sort -V | tail -1)}
[ -x "$JLINK_JDK/bin/jlink" ] || { echo "no jlink: set JLINK_JDK to a full JDK" >&2; exit 2; }
command -v nvcc >/dev/null || echo "warning: no nvcc, the jar will carry no PTX and the GPU suite will skip" >&2

mvn -q -B -ntp package -DskipTests
out=.device
rm -rf "$out" && mkdir -p "$out/lib"
cp target/nonlin-*.jar "$out/lib/"
cp -r target/test-classes "$out/test-classes"
mvn -q -B -ntp dependency:copy-dependencies -DincludeScope=test -DoutputDirectory="$out/lib"
mvn -q -B -ntp dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:1.10.2 \
    -DoutputDirectory="$out/launcher"
# The natives JAR carries four JNI libraries; the driver API needs only libJCudaDriver.
for j in "$out"/lib/jcuda-natives-*.jar; do
  zip -q -d "$j" 'lib/libJNvPTXCompiler*' 'lib/libJNvrtc*' 'lib/libJCudaRuntime*' || true
done
# JCublas's natives carry the legacy JCublas (v1) beside JCublas2; matmul uses JCublas2 only.
for j in "$out"/lib/jcublas-natives-*.jar; do
  zip -q -d "$j" 'lib/libJCublas-*' || true
done
rm -rf "$out/runtime"
"$JLINK_JDK/bin/jlink" --add-modules java.base,java.logging,java.management,jdk.management,java.xml,java.desktop,jdk.unsupported,jdk.incubator.vector \
    --strip-debug --no-man-pages --no-header-files --compress=zip-9 --output "$out/runtime" 2>/dev/null \
  || "$JLINK_JDK/bin/jlink" --add-modules java.base,java.logging,java.management,jdk.management,java.xml,java.desktop,jdk.unsupported,jdk.incubator.vector \
    --strip-debug --no-man-pages --no-header-files --compress=2 --output "$out/runtime"
tar -C "$out" -czf "$out/runtime.tar.gz" runtime && rm -rf "$out/runtime"
# What was built: gpu-check.sh prints it, so the results name the code they tested.
echo "$(git describe --always --dirty 2>/dev/null || echo unknown) built $(date -u +%FT%TZ)" > "$out/BUILT"
du -sh "$out" "$out"/*
