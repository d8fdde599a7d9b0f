# What `cmake --install` lays out, and the .deb CPack builds from it (cpack -G DEB).
#   bin/fjwatch                         the daemon and CLI (fjwatch-sim is a test tool: not installed)
#   <unit dir>/fjwatch.service          ExecStart pointing at bin/fjwatch under the install prefix
#   share/doc/fjwatch/                  README, systemd/README, the example config and watch list
#   share/fjwatch/                      the examples the .deb copies to /etc/fjwatch when absent
include(GNUInstallDirs)

# The unit directory: systemd's own (pkg-config) when installing to /usr, else under the prefix
# (systemd also reads /usr/local/lib/systemd/system).
set(FJWATCH_SYSTEMD_UNIT_DIR "" CACHE PATH "Where fjwatch.service is installed")
if(NOT FJWATCH_SYSTEMD_UNIT_DIR)
  set(FJWATCH_SYSTEMD_UNIT_DIR lib/systemd/system)
  pkg_get_variable(systemd_unit_dir systemd systemdsystemunitdir)
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" AND systemd_unit_dir)
    set(FJWATCH_SYSTEMD_UNIT_DIR ${systemd_unit_dir})
  endif()
endif()

install(TARGETS fjwatch RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The unit names /usr/bin/fjwatch; an install elsewhere gets a copy naming the real path, made
# when installing so that `cmake --install --prefix` and CPack's prefix are honoured. Each install
# destination writes its copy under a name of its own (two may run at once), removed after.
if(IS_ABSOLUTE ${FJWATCH_SYSTEMD_UNIT_DIR})
  set(fjwatch_unit_dest "${FJWATCH_SYSTEMD_UNIT_DIR}")
else()
  set(fjwatch_unit_dest "\${CMAKE_INSTALL_PREFIX}/${FJWATCH_SYSTEMD_UNIT_DIR}")
endif()
install(CODE "
  file(READ \"${PROJECT_SOURCE_DIR}/systemd/fjwatch.service\" unit)
  string(REPLACE \"/usr/bin/fjwatch \" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/fjwatch \" unit \"\${unit}\")
  string(SHA1 tag \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}\")
  set(dir \"${PROJECT_BINARY_DIR}/unit-\${tag}\")
  file(WRITE \"\${dir}/fjwatch.service\" \"\${unit}\")
  file(INSTALL DESTINATION \"${fjwatch_unit_dest}\" TYPE FILE FILES \"\${dir}/fjwatch.service\")
  file(REMOVE_RECURSE \"\${dir}\")
")

install(FILES README.md config/fjwatch.example.yaml config/watchlist.example.yaml
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES systemd/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME README.systemd.md)
install(FILES config/fjwatch.example.yaml config/watchlist.example.yaml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fjwatch)

# The .deb ------------------------------------------------------------------------------------
set(CPACK_PACKAGE_NAME fjwatch)
set(CPACK_PACKAGE_VENDOR fjwatch)
set(CPACK_PACKAGE_CONTACT "fjwatch maintainers <fjwatch@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "watches FJ Sourcing API sessions and says when results are ready")
set(CPACK_PACKAGE_DESCRIPTION
    "fjwatch polls FJ Sourcing API sessions from a YAML watch list and fires signed webhooks, log lines or commands from a durable SQLite outbox when their results are ready. It runs as a hardened systemd service.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies from the binary (dpkg-shlibdeps); the CA store is read at run time.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "ca-certificates")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/deb/postinst
    ${PROJECT_SOURCE_DIR}/packaging/deb/prerm
    ${PROJECT_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_GENERATOR DEB)
include(CPack)
