"""trr_fuzz: a fuzz target and its corpus regression test, as in CMake."""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_test")

def trr_fuzz(name, srcs, deps, corpus):
    """A libFuzzer binary under --config=fuzz, a corpus replayer otherwise.

    Either way `<name>_corpus` replays fuzz/corpus/<corpus> as a test.
    """
    driver = select({
        "//fuzz:libfuzzer": [],
        "//conditions:default": ["//fuzz:standalone_main"],
    })
    fuzz_linkopts = select({
        "//fuzz:libfuzzer": ["-fsanitize=fuzzer"],
        "//conditions:default": [],
    })
    cc_binary(
        name = name,
        srcs = srcs,
        deps = deps + driver,
        linkopts = fuzz_linkopts,
    )
    cc_test(
        name = name + "_corpus",
        srcs = srcs,
        deps = deps + driver,
        linkopts = fuzz_linkopts,
        args = ["-runs=0", "fuzz/corpus/" + corpus],
        data = native.glob(["corpus/" + corpus + "/**"]),
    )
