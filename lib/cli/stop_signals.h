// SIGINT and SIGTERM as a request to stop at the next safe point, for the mains of long runs.
// The handler only records the signal; the library polls stop_requested() between steps, and
// main exits with 128 + stop_signal(), as a shell reports a process the signal ended.
// Not for: deciding what a safe point is or what to save there (the library does).
#pragma once

#include <signal.h>

#include <csignal>
#include <initializer_list>

namespace mnist {

namespace detail {
inline volatile std::sig_atomic_t received_stop_signal = 0;

extern "C" inline void record_stop_signal(int signal_number) {
  received_stop_signal = signal_number;
}
}  // namespace detail

// Installs the handler for SIGINT and SIGTERM. A signal the process was started with ignored
// (as a shell does for background jobs) stays ignored.
inline void install_stop_signal_handlers() {
  for (const int signal_number : {SIGINT, SIGTERM}) {
    struct sigaction previous {};
    if (::sigaction(signal_number, nullptr, &previous) == 0 && previous.sa_handler == SIG_IGN) {
      continue;
    }
    struct sigaction action {};
    action.sa_handler = detail::record_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;  // reads and writes in progress go on undisturbed
    ::sigaction(signal_number, &action, nullptr);
  }
}

inline bool stop_requested() { return detail::received_stop_signal != 0; }

// The signal that asked to stop; 0 when none did.
inline int stop_signal() { return detail::received_stop_signal; }

}  // namespace mnist
