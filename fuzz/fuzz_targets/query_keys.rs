#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| atode_fuzz::query_keys::check(data));
