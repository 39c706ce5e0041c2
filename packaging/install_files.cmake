# Run by `cmake --install` (install(CODE) in packaging/CMakeLists.txt): the
# files that name install paths, made for the prefix in use.  Under a /usr
# prefix the settings go to /etc, as GNUInstallDirs has it.
set(root "$ENV{DESTDIR}")
set(prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "/usr")
  set(etc /etc)
else()
  set(etc "${prefix}/etc")
endif()
set(SLUICED "${prefix}/${SL_BINDIR}/sluiced")
set(SLUICE_CONFIG "${etc}/sluice/server.properties")

configure_file(${SL_SRC}/sluice.pc.in "${root}${prefix}/${SL_LIBDIR}/pkgconfig/sluice.pc" @ONLY)
configure_file(${SL_SRC}/sluice-broker.pc.in
               "${root}${prefix}/${SL_LIBDIR}/pkgconfig/sluice-broker.pc" @ONLY)
configure_file(${SL_SRC}/sluiced.service.in
               "${root}${prefix}/lib/systemd/system/sluiced.service" @ONLY)
# The settings are the admin's: an existing file is never overwritten.
if(EXISTS "${root}${SLUICE_CONFIG}")
  message(STATUS "Kept: ${root}${SLUICE_CONFIG}")
else()
  file(INSTALL ${SL_SRC}/server.properties DESTINATION "${etc}/sluice") # adds DESTDIR
endif()
foreach(f ${prefix}/${SL_LIBDIR}/pkgconfig/sluice.pc
         ${prefix}/${SL_LIBDIR}/pkgconfig/sluice-broker.pc ${prefix}/lib/systemd/system/sluiced.service)
  message(STATUS "Installing: ${root}${f}")
endforeach()
