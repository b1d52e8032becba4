# SPDX-License-Identifier: GPL-2.0-or-later
# CMake toolchain file: cross-build for arm64 (aarch64) on an amd64 Debian 12 machine with
# Debian's cross compiler (crossbuild-essential-arm64) and a sysroot of Debian's arm64 packages
# made by scripts/arm64-sysroot.sh.
#
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DSLURM_EXPORTER_SYSROOT=/var/cache/prometheus-slurm-exporter/arm64-sysroot
#
# SLURM_EXPORTER_SYSROOT is the directory the script prints (the environment variable of the
# same name works too). The cross compiler brings its own arm64 glibc and libstdc++; the sysroot
# gives the libraries (libslurm, fmt, yaml-cpp, OpenSSL, libcrypt, zlib) and headers (Boost, ...).
# Test programs run under qemu-aarch64-static (Debian's qemu-user-static) with -L pointing at
# the sysroot, so binfmt_misc is not needed: ctest and Catch2's test discovery both prepend
# CMAKE_CROSSCOMPILING_EMULATOR.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

if(NOT SLURM_EXPORTER_SYSROOT)
  set(SLURM_EXPORTER_SYSROOT "$ENV{SLURM_EXPORTER_SYSROOT}")
endif()
if(NOT SLURM_EXPORTER_SYSROOT OR NOT EXISTS "${SLURM_EXPORTER_SYSROOT}/root/usr/include")
  message(FATAL_ERROR "aarch64 toolchain: set SLURM_EXPORTER_SYSROOT to the directory "
                      "scripts/arm64-sysroot.sh prints (now: '${SLURM_EXPORTER_SYSROOT}')")
endif()
set(SLURM_EXPORTER_SYSROOT "${SLURM_EXPORTER_SYSROOT}" CACHE PATH "arm64 sysroot (scripts/arm64-sysroot.sh)")
# try_compile() projects read this file again: hand them the sysroot.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES SLURM_EXPORTER_SYSROOT)
set(_se_root "${SLURM_EXPORTER_SYSROOT}/root")

# find_package/find_library/find_path look in the sysroot only; programs come from the host.
set(CMAKE_FIND_ROOT_PATH "${_se_root}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Headers that Debian puts in the multiarch include directory (openssl/configuration.h, ...) and
# the sysroot's /usr/include, searched before the host's /usr/include that the cross compiler
# also searches. The sysroot has no libc headers, so libstdc++'s #include_next is unaffected.
set(CMAKE_CXX_STANDARD_INCLUDE_DIRECTORIES
    "${_se_root}/usr/include/aarch64-linux-gnu" "${_se_root}/usr/include")
# Shared libraries' own dependencies (libslurm -> libresolv, ...) resolve inside the sysroot.
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "-Wl,-rpath-link,${_se_root}/usr/lib/aarch64-linux-gnu")

find_program(SLURM_EXPORTER_QEMU qemu-aarch64-static)
if(SLURM_EXPORTER_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${SLURM_EXPORTER_QEMU};-L;${_se_root}")
endif()
