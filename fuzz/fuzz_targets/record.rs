#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fusioncell_fuzz_harness::record(data);
});
