# SPDX-License-Identifier: GPL-2.0-or-later
# FindSlurm
# ---------
# Finds libslurm and its headers (Debian: libslurm-dev; no pkg-config or CMake config shipped).
#
# Imported target:  Slurm::Slurm
# Result variables: Slurm_FOUND, Slurm_INCLUDE_DIR, Slurm_LIBRARY, Slurm_VERSION
#                   (from SLURM_VERSION_NUMBER in <slurm/slurm_version.h>, e.g. 22.05.8)
# Hints:            Slurm_ROOT (CMake's standard <Package>_ROOT search prefix)

find_path(Slurm_INCLUDE_DIR NAMES slurm/slurm.h)
find_library(Slurm_LIBRARY NAMES slurm)

if(Slurm_INCLUDE_DIR AND EXISTS "${Slurm_INCLUDE_DIR}/slurm/slurm_version.h")
  file(STRINGS "${Slurm_INCLUDE_DIR}/slurm/slurm_version.h" _slurm_version_line
       REGEX "^#define[ \t]+SLURM_VERSION_NUMBER[ \t]+0x[0-9a-fA-F]+")
  if(_slurm_version_line MATCHES "0x([0-9a-fA-F]+)")
    math(EXPR _slurm_num "0x${CMAKE_MATCH_1}")
    math(EXPR _slurm_major "(${_slurm_num} >> 16) & 255")
    math(EXPR _slurm_minor "(${_slurm_num} >> 8) & 255")
    math(EXPR _slurm_micro "${_slurm_num} & 255")
    if(_slurm_minor LESS 10)
      set(_slurm_minor "0${_slurm_minor}")
    endif()
    set(Slurm_VERSION "${_slurm_major}.${_slurm_minor}.${_slurm_micro}")
  endif()
  unset(_slurm_version_line)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Slurm
  REQUIRED_VARS Slurm_LIBRARY Slurm_INCLUDE_DIR
  VERSION_VAR Slurm_VERSION)

if(Slurm_FOUND AND NOT TARGET Slurm::Slurm)
  add_library(Slurm::Slurm UNKNOWN IMPORTED)
  set_target_properties(Slurm::Slurm PROPERTIES
    IMPORTED_LOCATION "${Slurm_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${Slurm_INCLUDE_DIR}")
endif()

mark_as_advanced(Slurm_INCLUDE_DIR Slurm_LIBRARY)
