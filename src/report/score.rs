//! Rubric 1: each category starts at 100 and loses per finding critical 45, high 25, medium 10,
//! low 3 (floor 0); the overall score does the same over all findings.

use super::model::{Category, CategoryScore, Finding};

pub const RUBRIC: &str = "1";

/// Score after taking each finding's penalty off 100, floored at 0.
pub fn score<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> u32 {
    let lost: u32 = findings.into_iter().map(|f| f.severity.penalty()).sum();
    100u32.saturating_sub(lost)
}

/// Grade of a score: A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, F below.
pub fn grade(score: u32) -> &'static str {
    match score {
        90.. => "A",
        80..=89 => "B",
        70..=79 => "C",
        60..=69 => "D",
        _ => "F",
    }
}

/// Rank of a grade letter, A best (0) to F worst (4); `None` for anything else.
pub fn grade_rank(grade: &str) -> Option<u8> {
    match grade.trim().to_ascii_uppercase().as_str() {
        "A" => Some(0),
        "B" => Some(1),
        "C" => Some(2),
        "D" => Some(3),
        "F" => Some(4),
        _ => None,
    }
}

/// Per-category scores. A category is tested when at least one sign-in surface was probed.
pub fn categories(findings: &[Finding], tested: bool) -> Vec<CategoryScore> {
    Category::ALL
        .iter()
        .map(|&cat| {
            let s = score(findings.iter().filter(|f| f.category == cat));
            CategoryScore {
                id: cat,
                score: s,
                grade: grade(s).to_string(),
                tested,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Confidence, Severity};

    fn finding(sev: Severity, cat: Category) -> Finding {
        Finding {
            id: "x".into(),
            severity: sev,
            category: cat,
            endpoint: "POST http://127.0.0.1/login".into(),
            title: String::new(),
            summary: String::new(),
            remediation: String::new(),
            confidence: Confidence::High,
            evidence: vec![],
            details: Default::default(),
        }
    }

    #[test]
    fn penalties_follow_rubric_one() {
        let f = vec![
            finding(Severity::High, Category::RateLimiting),
            finding(Severity::Medium, Category::Authentication),
        ];
        assert_eq!(score(&f), 65);
        let cats = categories(&f, true);
        assert_eq!(cats[0].score, 75);
        assert_eq!(cats[0].grade, "C");
        assert_eq!(cats[1].score, 90);
        assert_eq!(cats[1].grade, "A");
    }

    #[test]
    fn score_floors_at_zero() {
        let f: Vec<_> = (0..3)
            .map(|_| finding(Severity::Critical, Category::Authentication))
            .collect();
        assert_eq!(score(&f), 0);
        assert_eq!(grade(0), "F");
    }

    #[test]
    fn grade_boundaries() {
        assert_eq!(grade(100), "A");
        assert_eq!(grade(90), "A");
        assert_eq!(grade(89), "B");
        assert_eq!(grade(80), "B");
        assert_eq!(grade(79), "C");
        assert_eq!(grade(70), "C");
        assert_eq!(grade(69), "D");
        assert_eq!(grade(60), "D");
        assert_eq!(grade(59), "F");
        assert_eq!(grade_rank("b"), Some(1));
        assert_eq!(grade_rank("E"), None);
    }
}
