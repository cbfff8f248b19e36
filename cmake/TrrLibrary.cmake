# libtrr.so and libtrr.a from the component libraries, plus what
# `cmake --install` puts in place: the public headers (include/trr), a CMake
# package (find_package(trr) -> trr::trr, trr::trr_static) and trr.pc.

set(TRR_COMPONENTS trr_api trr_resolver trr_servers trr_transport trr_native
                   trr_loop trr_dns trr_ohttp trr_hostcache trr_prefs trr_public)

# The shared library: every component whole, exporting only what the public
# headers mark TRR_EXPORT (the components are built with hidden visibility).
add_library(trr_shared SHARED ${PROJECT_SOURCE_DIR}/cmake/empty.cc)
set(whole_archives)
foreach(component ${TRR_COMPONENTS})
  list(APPEND whole_archives $<TARGET_FILE:${component}>)
endforeach()
add_dependencies(trr_shared ${TRR_COMPONENTS})
target_link_libraries(trr_shared PRIVATE
  -Wl,--whole-archive ${whole_archives} -Wl,--no-whole-archive
  ${HTTP_PARSER_LIBRARY} OpenSSL::SSL PkgConfig::NGHTTP2 Threads::Threads)
if(TRR_STATIC_ABSEIL)
  # The abseil targets name static archives (CMakeLists.txt); the shared
  # library, and what links it, use abseil's shared objects: one copy of
  # abseil in a process, the one libtrr.so was built with.
  set(trr_shared_absl -Wl,--push-state,--as-needed ${TRR_ABSL_SHARED}
                      -Wl,--pop-state)
  target_link_libraries(trr_shared PRIVATE ${trr_shared_absl})
  target_link_libraries(trr_shared INTERFACE ${trr_shared_absl})
else()
  target_link_libraries(trr_shared PRIVATE absl::flat_hash_map
    absl::flat_hash_set absl::str_format absl::synchronization absl::hash
    absl::inlined_vector)
  target_link_libraries(trr_shared PUBLIC absl::status absl::statusor
                        absl::strings absl::time absl::span)
endif()
target_include_directories(trr_shared PUBLIC
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>)
target_link_options(trr_shared PRIVATE
  -Wl,--version-script=${PROJECT_SOURCE_DIR}/cmake/libtrr.map)
# Every symbol resolved at link time, except in sanitizer and fuzzer builds:
# their runtimes are linked into the executable, never into a shared library.
if(TRR_SANITIZE STREQUAL "" AND NOT TRR_FUZZ)
  target_link_options(trr_shared PRIVATE -Wl,--no-undefined)
endif()
set_property(TARGET trr_shared APPEND PROPERTY LINK_DEPENDS
             ${PROJECT_SOURCE_DIR}/cmake/libtrr.map)
set_target_properties(trr_shared PROPERTIES
  OUTPUT_NAME trr
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}
  CXX_VISIBILITY_PRESET hidden)

# The static library: the component archives merged into one.
set(TRR_STATIC ${CMAKE_CURRENT_BINARY_DIR}/libtrr.a)
set(mri "CREATE ${TRR_STATIC}\n")
foreach(component ${TRR_COMPONENTS})
  string(APPEND mri "ADDLIB $<TARGET_FILE:${component}>\n")
endforeach()
string(APPEND mri "SAVE\nEND\n")
file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/libtrr.mri CONTENT "${mri}")
add_custom_command(
  OUTPUT ${TRR_STATIC}
  COMMAND ${CMAKE_COMMAND} -E remove -f ${TRR_STATIC}
  COMMAND ${CMAKE_AR} -M < ${CMAKE_CURRENT_BINARY_DIR}/libtrr.mri
  DEPENDS ${TRR_COMPONENTS} ${CMAKE_CURRENT_BINARY_DIR}/libtrr.mri
  COMMENT "Merging the component libraries into libtrr.a")
add_custom_target(trr_static ALL DEPENDS ${TRR_STATIC})

# What a static link needs besides libtrr.a, as plain -l flags: trr.pc
# requires no other .pc file, so `pkg-config --cflags trr` needs none and
# adds no dependency's flags (abseil's included). Abseil's archives, in
# link order, as pkg-config lists them here; libm and libstdc++ after
# everything that needs them.
execute_process(
  COMMAND pkg-config --static --libs-only-l absl_status absl_statusor
          absl_strings absl_time absl_span absl_flat_hash_map
          absl_flat_hash_set absl_str_format absl_synchronization absl_hash
  OUTPUT_VARIABLE TRR_ABSL_STATIC_PC OUTPUT_STRIP_TRAILING_WHITESPACE
  RESULT_VARIABLE absl_pc_result)
if(NOT absl_pc_result EQUAL 0)
  message(FATAL_ERROR "pkg-config cannot list abseil's libraries")
endif()
set(TRR_STATIC_DEPS_PC
    "-lhttp_parser -lnghttp2 -lssl -lcrypto ${TRR_ABSL_STATIC_PC} -lstdc++ -lm -pthread")

install(TARGETS trr_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${TRR_STATIC} DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/trr
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
configure_file(${PROJECT_SOURCE_DIR}/cmake/trrConfig.cmake.in
               ${CMAKE_CURRENT_BINARY_DIR}/trrConfig.cmake @ONLY)
include(CMakePackageConfigHelpers)
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/trrConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/trrConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/trrConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/trr)
# trr.pc finds its prefix relative to itself, so an installed tree can move.
file(RELATIVE_PATH TRR_PC_TO_PREFIX
     /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${PROJECT_SOURCE_DIR}/cmake/trr.pc.in
               ${CMAKE_CURRENT_BINARY_DIR}/trr.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/trr.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
