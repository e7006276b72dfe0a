# Configures and builds tests/standalone_consumer as a separate CMake project, as a user would,
# against the LibTorch this build found (ctest runs this script with cmake -P).
# Inputs (-D): SOURCE_DIR, BINARY_DIR, GENERATOR, CXX_COMPILER, COMPILER_LAUNCHER, TORCH_DIR.
# CMAKE_PREFIX_PATH, when the main build had one, arrives through the environment.
foreach(input SOURCE_DIR BINARY_DIR GENERATOR CXX_COMPILER TORCH_DIR)
  if(NOT DEFINED ${input})
    message(FATAL_ERROR "build_standalone_consumer.cmake: -D${input}=... missing")
  endif()
endforeach()

set(configure_args
  -S "${SOURCE_DIR}" -B "${BINARY_DIR}" -G "${GENERATOR}"
  -DCMAKE_BUILD_TYPE=Release
  "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
  "-DTorch_DIR=${TORCH_DIR}")
if(COMPILER_LAUNCHER)
  list(APPEND configure_args "-DCMAKE_CXX_COMPILER_LAUNCHER=${COMPILER_LAUNCHER}")
endif()

execute_process(COMMAND "${CMAKE_COMMAND}" ${configure_args} RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "configuring ${SOURCE_DIR} failed (${result})")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BINARY_DIR}" RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "building ${SOURCE_DIR} failed (${result})")
endif()
