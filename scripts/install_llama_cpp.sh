#!/usr/bin/env bash
# Build and install llama-cpp-python for any x86-64 CPU with AVX2, never for this one.
#
# llama.cpp's default build is native (-march=native): it runs only on CPUs like the one
# that built it, and pip's wheel cache does not know that, so a wheel built on one machine
# can be installed on another. A native build also crashed on an AVX-512/AMX Xeon in its
# first prompt decode. So: GGML_NATIVE=OFF with an explicit AVX2 feature set, built with
# pip's cache off, and kept in our own cache under a key made of the version, the CMake
# flags, the Python tag and the architecture: any wheel found there is portable by
# construction and safe to reuse on another machine.
#
# Usage: scripts/install_llama_cpp.sh PIP VERSION
set -euo pipefail
pip_bin="$1"
version="$2"
python_bin="$(dirname "$pip_bin")/python"

arch="$(uname -m)"
case "$arch" in
  x86_64 | amd64)
    # AVX2, FMA and F16C: every x86-64 CPU since 2013-2015 (Haswell, Zen). Nothing wider.
    cmake_args="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
    cmake_args+=" -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF"
    cmake_args+=" -DGGML_AVX512_BF16=OFF -DGGML_AVX_VNNI=OFF"
    cmake_args+=" -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
    ;;
  *)
    # Elsewhere (aarch64): llama.cpp's generic, non-native build.
    cmake_args="-DGGML_NATIVE=OFF"
    ;;
esac
cmake_args+=" -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF"

py_tag="$("$python_bin" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
key="$(printf '%s\n' "$version" "$cmake_args" "$py_tag" "$arch" | sha256sum | cut -c1-16)"
cache_root="${GOALGUARD_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/goalguard/wheels}"
wheel_dir="$cache_root/llama-cpp-python-$version-$key"

if ! ls "$wheel_dir"/llama_cpp_python-*.whl >/dev/null 2>&1; then
  echo "Building llama-cpp-python $version for portable x86-64 (AVX2; about 5 minutes on 2 cores)"
  echo "  CMAKE_ARGS=$cmake_args"
  tmp_dir="$(mktemp -d)"
  CMAKE_ARGS="$cmake_args" FORCE_CMAKE=1 "$pip_bin" wheel --quiet --no-deps --no-cache-dir \
    --no-binary llama-cpp-python "llama-cpp-python==$version" -w "$tmp_dir"
  mkdir -p "$wheel_dir"
  mv "$tmp_dir"/llama_cpp_python-*.whl "$wheel_dir"/
  printf 'version=%s\narch=%s\npython=%s\nCMAKE_ARGS=%s\n' \
    "$version" "$arch" "$py_tag" "$cmake_args" >"$wheel_dir/BUILD_INFO"
  rm -rf "$tmp_dir"
else
  echo "llama-cpp-python $version: portable wheel from $wheel_dir"
fi
# --force-reinstall --no-deps: replace whatever build the venv had (a native one included).
"$pip_bin" install --quiet --no-cache-dir --force-reinstall --no-deps "$wheel_dir"/llama_cpp_python-*.whl
