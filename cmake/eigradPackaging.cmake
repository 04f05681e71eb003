# How eigrad presents itself to the projects that use it: its private dependency, the version
# header, the shared library's soname, and the install tree with eigradConfig.cmake and eigrad.pc.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

option(EIGRAD_INSTALL "Generate eigrad's install rules" ${PROJECT_IS_TOP_LEVEL})

# nlohmann_json is header-only and included by src/io/safetensors.cpp alone, never by a public
# header: users need neither its headers nor a link to it, so it stays out of the exported target.
find_package(nlohmann_json 3 REQUIRED)
target_link_libraries(eigrad PRIVATE $<BUILD_INTERFACE:nlohmann_json::nlohmann_json>)

set(EIGRAD_GENERATED_INCLUDE_DIR ${PROJECT_BINARY_DIR}/include)
configure_file(${PROJECT_SOURCE_DIR}/include/eigrad/version.hpp.in
               ${EIGRAD_GENERATED_INCLUDE_DIR}/eigrad/version.hpp @ONLY)
target_include_directories(eigrad PUBLIC $<BUILD_INTERFACE:${EIGRAD_GENERATED_INCLUDE_DIR}>)

# Every 0.x release may break the ABI (eigradConfigVersion.cmake accepts the same minor version
# only), so the soname carries MAJOR.MINOR: libeigrad.so.0.1 -> libeigrad.so.0.1.0.
set_target_properties(eigrad PROPERTIES
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})

if(NOT EIGRAD_INSTALL)
  return()
endif()

set(EIGRAD_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/eigrad)
# Not CMAKE_INSTALL_DOCDIR: a parent project that included GNUInstallDirs first set it to its own.
set(EIGRAD_DOC_DIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/eigrad)
install(TARGETS eigrad EXPORT eigradTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/eigrad DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")
install(FILES ${EIGRAD_GENERATED_INCLUDE_DIR}/eigrad/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/eigrad)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/NOTICE DESTINATION ${EIGRAD_DOC_DIR})

install(EXPORT eigradTargets NAMESPACE eigrad:: DESTINATION ${EIGRAD_CMAKE_DIR})
export(EXPORT eigradTargets NAMESPACE eigrad:: FILE ${PROJECT_BINARY_DIR}/eigradTargets.cmake)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/eigradConfig.cmake.in
  ${PROJECT_BINARY_DIR}/eigradConfig.cmake INSTALL_DESTINATION ${EIGRAD_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/eigradConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/eigradConfig.cmake ${PROJECT_BINARY_DIR}/eigradConfigVersion.cmake
        DESTINATION ${EIGRAD_CMAKE_DIR})

# eigrad.pc finds its prefix from its own folder (${pcfiledir}), so `cmake --install --prefix P`
# to any P gives a working file.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(EIGRAD_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(EIGRAD_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(EIGRAD_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH pc_to_prefix "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  set(EIGRAD_PC_PREFIX "\${pcfiledir}/${pc_to_prefix}")
  set(EIGRAD_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(EIGRAD_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/eigrad.pc.in ${PROJECT_BINARY_DIR}/eigrad.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/eigrad.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
