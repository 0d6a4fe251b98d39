//! Resident memory of the current process, from Linux's `/proc/self/status`.

/// Resident set sizes of the current process, in kibibytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rss {
    /// `VmRSS`: resident memory now.
    pub current_kib: u64,
    /// `VmHWM`: the peak resident memory so far.
    pub peak_kib: u64,
}

/// Reads `VmRSS` and `VmHWM` of the current process.
///
/// # Errors
///
/// When `/proc/self/status` cannot be read (for example on a system other than Linux)
/// or lacks either field.
pub fn read_rss() -> crate::BenchResult<Rss> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    parse_status(&status).ok_or_else(|| "/proc/self/status has no VmRSS or VmHWM line".into())
}

/// Extracts `VmRSS` and `VmHWM` (in kB, which Linux means as KiB) from status text.
fn parse_status(status: &str) -> Option<Rss> {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
    };
    Some(Rss {
        current_kib: field("VmRSS:")?,
        peak_kib: field("VmHWM:")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_fields() {
        let status = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
        assert_eq!(
            parse_status(status),
            Some(Rss {
                current_kib: 1024,
                peak_kib: 2048
            })
        );
        assert_eq!(parse_status("Name:\tx\n"), None);
    }

    #[test]
    fn reads_own_status() {
        let rss = read_rss().unwrap_or_else(|error| panic!("{error}"));
        assert!(rss.current_kib > 0);
        assert!(rss.peak_kib >= rss.current_kib);
    }
}
