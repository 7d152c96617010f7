# CheckLayering.cmake — fails when an #include crosses the module order of design.md §1.
#
#   cmake -DCEZANNE_SOURCE_DIR=<source root> [-DCEZANNE_STAMP=<file>] -P cmake/CheckLayering.cmake
#
# Reads every #include of src/ and include/cezanne/ and prints one line per violation, e.g.
#   src/learn/Foo.cpp includes cezanne/dist/Communicator.hpp: learn may not depend on dist
#   src/cli/main.cpp includes <mpi.h>: only src/dist/backend/ may include it
#   src/train/Foo.cpp includes ../data/H5.hpp: train may not include a private header of data
# then fails. A file's module is its folder under src/ or include/cezanne/. A quoted include is
# resolved as the compiler does: the including file's folder first, then include/ and src/.
# The table is cmake/CezanneLayers.cmake. On success it touches CEZANNE_STAMP when given, the
# build's record that the check passed for the current sources.
cmake_minimum_required(VERSION 3.25)
include("${CMAKE_CURRENT_LIST_DIR}/CezanneLayers.cmake")

if(NOT CEZANNE_SOURCE_DIR)
  message(FATAL_ERROR "CheckLayering: pass -DCEZANNE_SOURCE_DIR=<source root>")
endif()
set(root "${CEZANNE_SOURCE_DIR}")

# <out>: the module of `path` (relative to the root), "" for a file of no module.
function(module_of path out)
  if(path MATCHES "^include/cezanne/([^/]+)/")
    set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
  elseif(path MATCHES "^src/([^/]+)/")
    set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

# <out>: the path (relative to the root) that the quoted include `name` of `file` names, or ""
# when it names no file of the tree (a generated header, BuildInfo.hpp).
function(resolve_include file name out)
  get_filename_component(dir "${file}" DIRECTORY)
  foreach(candidate IN ITEMS "${dir}/${name}" "include/${name}" "src/${name}")
    cmake_path(SET normal NORMALIZE "${candidate}")
    if(EXISTS "${root}/${normal}")
      set(${out} "${normal}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  # Not on disk (yet): a path that climbs out of its folder or starts at cezanne/ still names a
  # module.
  if(name MATCHES "^\\.\\./")
    cmake_path(SET normal NORMALIZE "${dir}/${name}")
    set(${out} "${normal}" PARENT_SCOPE)
  elseif(name MATCHES "^cezanne/")
    set(${out} "include/${name}" PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

# <out>: the library `module` builds into (cezanne_<out>).
function(library_of module out)
  if(DEFINED CEZANNE_TARGET_${module})
    set(${out} "${CEZANNE_TARGET_${module}}" PARENT_SCOPE)
  else()
    set(${out} "${module}" PARENT_SCOPE)
  endif()
endfunction()

set(globs "")
foreach(pattern IN LISTS CEZANNE_LAYERING_GLOBS)
  list(APPEND globs "${root}/${pattern}")
endforeach()
file(GLOB_RECURSE files RELATIVE "${root}" ${globs})
list(SORT files)

set(violations "")
foreach(file IN LISTS files)
  module_of("${file}" module)
  if(NOT module STREQUAL "" AND NOT module IN_LIST CEZANNE_LAYERS)
    list(APPEND violations "${file}: module ${module} is not in cmake/CezanneLayers.cmake")
    continue()
  endif()
  file(STRINGS "${root}/${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
  foreach(line IN LISTS lines)
    if(NOT line MATCHES "#[ \t]*include[ \t]*([<\"])([^>\"]+)[>\"]")
      continue()
    endif()
    set(name "${CMAKE_MATCH_2}")
    if(CMAKE_MATCH_1 STREQUAL "<")
      foreach(group IN LISTS CEZANNE_RESTRICTED_HEADERS)
        if(NOT name MATCHES "${CEZANNE_RESTRICTED_${group}_REGEX}")
          continue()
        endif()
        set(allowed FALSE)
        foreach(place IN LISTS CEZANNE_RESTRICTED_${group}_IN)
          string(FIND "${file}" "${place}" at)
          if(at EQUAL 0 AND (place MATCHES "/$" OR file STREQUAL place))
            set(allowed TRUE)
          endif()
        endforeach()
        if(NOT allowed)
          string(REPLACE ";" " or " places "${CEZANNE_RESTRICTED_${group}_IN}")
          list(APPEND violations "${file} includes <${name}>: only ${places} may include it")
        endif()
      endforeach()
    elseif(NOT module STREQUAL "")
      resolve_include("${file}" "${name}" target)
      module_of("${target}" dependency)
      if(dependency STREQUAL "" OR dependency STREQUAL module)
        continue()
      endif()
      library_of(${module} own)
      library_of(${dependency} other)
      if(NOT dependency IN_LIST CEZANNE_LAYER_${module})
        list(APPEND violations "${file} includes ${name}: ${module} may not depend on ${dependency}")
      elseif(target MATCHES "^src/" AND NOT own STREQUAL other)
        list(APPEND violations
             "${file} includes ${name}: ${module} may not include a private header of ${dependency}")
      endif()
    endif()
  endforeach()
endforeach()

if(violations)
  foreach(violation IN LISTS violations)
    message("${violation}")
  endforeach()
  list(LENGTH violations count)
  message(FATAL_ERROR "${count} include(s) break the module layering (docs/layering.md)")
endif()
if(CEZANNE_STAMP)
  file(TOUCH "${CEZANNE_STAMP}")
endif()
