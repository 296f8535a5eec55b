// A tiny test harness: TEST(name) registers a case, CHECK/CHECK_EQ/CHECK_STR record failures
// with file, line and both values. main() prints one line per failure and a final summary
// "passed N failed M" that the vitest wrapper parses.
#pragma once

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace check {

struct Case {
  const char* name;
  void (*run)();
};

inline std::vector<Case>& cases() {
  static std::vector<Case> all;
  return all;
}

inline int& failuresInCase() {
  static int n = 0;
  return n;
}

struct Register {
  Register(const char* name, void (*run)()) { cases().push_back({name, run}); }
};

inline void fail(const char* file, int line, const std::string& what) {
  ++failuresInCase();
  std::printf("  FAIL %s:%d: %s\n", file, line, what.c_str());
}

inline std::string show(long long v) { return std::to_string(v); }
inline std::string show(unsigned long long v) { return std::to_string(v); }
inline std::string show(double v) { return std::to_string(v); }
inline std::string show(const std::string& v) { return "\"" + v + "\""; }

inline int runAll() {
  int passed = 0;
  int failed = 0;
  for (const Case& c : cases()) {
    failuresInCase() = 0;
    c.run();
    if (failuresInCase() == 0) {
      ++passed;
    } else {
      ++failed;
      std::printf("FAILED %s\n", c.name);
    }
  }
  std::printf("passed %d failed %d\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace check

#define TEST(name)                                        \
  static void name();                                     \
  static const check::Register name##_registered(#name, name); \
  static void name()

#define CHECK(cond) \
  do {              \
    if (!(cond)) check::fail(__FILE__, __LINE__, "expected " #cond); \
  } while (0)

#define CHECK_EQ(actual, expected)                                                                    \
  do {                                                                                                \
    const auto a_ = (actual);                                                                         \
    const auto e_ = (expected);                                                                       \
    if (!(a_ == e_)) {                                                                                \
      check::fail(__FILE__, __LINE__,                                                                 \
                  std::string(#actual " == " #expected ": got ") + check::show(static_cast<long long>(a_)) + \
                      ", expected " + check::show(static_cast<long long>(e_)));                     \
    }                                                                                                 \
  } while (0)

#define CHECK_STR(actual, expected)                                                                  \
  do {                                                                                               \
    const std::string a_ = (actual);                                                                 \
    const std::string e_ = (expected);                                                               \
    if (a_ != e_) {                                                                                  \
      check::fail(__FILE__, __LINE__, std::string(#actual ": got ") + check::show(a_) + ", expected " + check::show(e_)); \
    }                                                                                                \
  } while (0)
