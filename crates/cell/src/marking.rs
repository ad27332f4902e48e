//! The marking line: the words on every screen, transcript and printed page of the exercise
//! that say it is not real-world traffic (`[cell] marking`). Exercise products carry such a line
//! top and bottom, and exercise messages the prefix [`EXERCISE_PREFIX`], so that a screenshot,
//! a forwarded transcript or a printed report cannot be mistaken for the real thing.

use crate::defaults::MARKING;
use crate::error::CellError;

/// The customary prefix of an exercise message, shown before every inject (in its one-line
/// description, which every view uses). Display only: the signed body stays as the scenario
/// wrote it, so a marking changed later marks old journals too and no signature changes.
pub const EXERCISE_PREFIX: &str = "EXERCISE EXERCISE EXERCISE";

/// The longest marking line: it must fit a banner on one line.
const MAX_MARKING_CHARS: usize = 120;

/// `[cell] marking`, checked: the default if absent; otherwise one visible line.
pub(crate) fn marking(text: Option<String>) -> Result<String, CellError> {
    let Some(text) = text else {
        return Ok(MARKING.to_owned());
    };
    let problem = if text.trim().is_empty() {
        Some("must not be blank (omit it for the default)".to_owned())
    } else if text.chars().any(char::is_control) {
        Some("must be one line without control characters".to_owned())
    } else if text.chars().count() > MAX_MARKING_CHARS {
        Some(format!("must be at most {MAX_MARKING_CHARS} characters"))
    } else {
        None
    };
    match problem {
        Some(p) => Err(CellError::invalid("cell.marking", p)),
        None => Ok(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marking_is_one_visible_line_with_a_default() {
        assert_eq!(marking(None).unwrap(), MARKING);
        assert_eq!(
            marking(Some("EXERCISE ONLY".into())).unwrap(),
            "EXERCISE ONLY"
        );
        for (bad, why) in [
            ("  ", "blank"),
            ("EXERCISE\nREAL", "one line"),
            ("EXERCISE \u{1b}[2J", "control"),
        ] {
            let err = marking(Some(bad.into())).unwrap_err().to_string();
            assert!(err.contains("cell.marking") && err.contains(why), "{err}");
        }
        let long = "X".repeat(MAX_MARKING_CHARS + 1);
        assert!(
            marking(Some(long))
                .unwrap_err()
                .to_string()
                .contains("at most")
        );
    }
}
