// Replays saved inputs through a fuzz target's LLVMFuzzerTestOneInput without a fuzzing
// engine, so ctest keeps every crash found once fixed. Arguments: files or folders
// (read recursively; a folder that does not exist holds no inputs). Like test/fuzz/run,
// an input fails when it crashes, runs past kSecondsPerInput or needs more than kMemoryMb.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <new>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

#if defined(__SANITIZE_ADDRESS__)
#define FEAST_REPLAY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FEAST_REPLAY_ASAN 1
#endif
#endif

namespace {

namespace fs = std::filesystem;

constexpr unsigned kSecondsPerInput = 25;
constexpr std::size_t kMemoryMb = 2048;  // test/fuzz/run's -rss_limit_mb

#ifdef FEAST_REPLAY_ASAN
// ASan reserves far more address space than it uses: cap the resident size instead.
extern "C" const char* __asan_default_options() { return "hard_rss_limit_mb=2048"; }
void limit_memory() {}
#else
// An input that exhausts the memory fails here, before the code under test could catch
// the std::bad_alloc and pass.
void out_of_memory() {
  static const char message[] = "replay: out of memory (see the last 'replay' line)\n";
  (void)!write(STDERR_FILENO, message, sizeof message - 1);
  std::abort();
}
void limit_memory() {
  const rlim_t bytes = rlim_t{kMemoryMb} << 20;
  const rlimit limit{bytes, bytes};
  setrlimit(RLIMIT_AS, &limit);
  std::set_new_handler(out_of_memory);
}
#endif

void timed_out(int) {
  static const char message[] = "replay: timeout (see the last 'replay' line)\n";
  (void)!write(STDERR_FILENO, message, sizeof message - 1);
  std::abort();
}

std::vector<fs::path> inputs_of(const fs::path& arg) {
  std::vector<fs::path> out;
  if (fs::is_directory(arg)) {
    for (const auto& entry : fs::recursive_directory_iterator(arg)) {
      if (entry.is_regular_file()) out.push_back(entry.path());
    }
  } else if (fs::exists(arg)) {
    out.push_back(arg);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  limit_memory();
  signal(SIGALRM, timed_out);
  std::size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    for (const fs::path& path : inputs_of(argv[i])) {
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        std::cerr << path.string() << ": cannot be read\n";
        return 1;
      }
      const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      // A heap copy of exactly the input's size, as libFuzzer passes it, so that an
      // overread is caught by ASan (also for an empty input: never a null pointer).
      std::unique_ptr<std::uint8_t[]> data(new std::uint8_t[bytes.size()]);
      std::copy(bytes.begin(), bytes.end(), data.get());
      std::cout << "replay " << path.string() << " (" << bytes.size() << " bytes)" << std::endl;
      alarm(kSecondsPerInput);
      LLVMFuzzerTestOneInput(data.get(), bytes.size());
      alarm(0);
      ++replayed;
    }
  }
  std::cout << replayed << " inputs replayed\n";
  return 0;
}
