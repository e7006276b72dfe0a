# Writes the page (PAGE) into a C++ source (OUTPUT) as one raw string literal, so the binary
# serves it without reading files at run time. Run at build time whenever the page changes.
file(READ "${PAGE}" page)
string(FIND "${page}" ")page\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${PAGE} contains )page\" and cannot be embedded as a raw string")
endif()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from lib/serve/page/index.html by lib/serve/embed_page.cmake; do not edit.\n"
  "#include \"serve/digit_service.h\"\n\n"
  "namespace mnist {\n\n"
  "const std::string& draw_digit_page() {\n"
  "  static const std::string page = R\"page(${page})page\";\n"
  "  return page;\n"
  "}\n\n"
  "}  // namespace mnist\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
