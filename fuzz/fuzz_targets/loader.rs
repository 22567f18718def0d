//! Reading a community file (TOML, with the loader's own checks before the database): no file
//! an admin uploads panics the parser or its line numbering.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|source: &str| {
    let _ = commonplace::admin::seed::loader::parse("fuzz.toml", source);
});
