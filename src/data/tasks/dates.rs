//! The dates task: many human date formats -> ISO 8601, the classic attention demo.

use rand::Rng;
use rand::rngs::StdRng;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// The ways a person writes a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFormat {
    /// "25 Nov 2026"
    DayMonAbbrYear,
    /// "11/25/26"
    UsShort,
    /// "Wednesday, November 25, 2026"
    WeekdayLong,
    /// "November 25, 2026"
    MonthDayYear,
    /// "25.11.2026"
    DottedEuropean,
    /// "25 november 2026"
    DayMonthLower,
    /// "Wed 25 Nov 2026"
    WeekdayShort,
    /// "2026/11/25"
    SlashedIso,
}

impl DateFormat {
    /// Every format, in generation order.
    pub const ALL: [DateFormat; 8] = [
        Self::DayMonAbbrYear,
        Self::UsShort,
        Self::WeekdayLong,
        Self::MonthDayYear,
        Self::DottedEuropean,
        Self::DayMonthLower,
        Self::WeekdayShort,
        Self::SlashedIso,
    ];
}

/// Day of the week of a Gregorian date, 0 = Sunday (Sakamoto's method).
fn weekday(year: u32, month: u32, day: u32) -> usize {
    const OFFSETS: [u32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let y = if month < 3 { year - 1 } else { year };
    ((y + y / 4 - y / 100 + y / 400 + OFFSETS[month as usize - 1] + day) % 7) as usize
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Writes a date in one human format.
pub fn format_date(year: u32, month: u32, day: u32, format: DateFormat) -> String {
    let month_name = MONTHS[month as usize - 1];
    let abbr = &month_name[..3];
    let weekday_name = WEEKDAYS[weekday(year, month, day)];
    match format {
        DateFormat::DayMonAbbrYear => format!("{day} {abbr} {year}"),
        DateFormat::UsShort => format!("{month:02}/{day:02}/{:02}", year % 100),
        DateFormat::WeekdayLong => format!("{weekday_name}, {month_name} {day}, {year}"),
        DateFormat::MonthDayYear => format!("{month_name} {day}, {year}"),
        DateFormat::DottedEuropean => format!("{day:02}.{month:02}.{year}"),
        DateFormat::DayMonthLower => format!("{day} {} {year}", month_name.to_lowercase()),
        DateFormat::WeekdayShort => format!("{} {day} {abbr} {year}", &weekday_name[..3]),
        DateFormat::SlashedIso => format!("{year}/{month:02}/{day:02}"),
    }
}

/// Generates `count` (human date, ISO date) pairs in 1950-2049 (so two-digit years are unambiguous).
pub(super) fn generate(rng: &mut StdRng, count: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|_| {
            let year = rng.random_range(1950..=2049);
            let month = rng.random_range(1..=12);
            let day = rng.random_range(1..=days_in_month(year, month));
            let format = DateFormat::ALL[rng.random_range(0..DateFormat::ALL.len())];
            (
                format_date(year, month, day, format),
                format!("{year:04}-{month:02}-{day:02}"),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_course_examples_are_written_right() {
        assert_eq!(
            format_date(2026, 11, 25, DateFormat::DayMonAbbrYear),
            "25 Nov 2026"
        );
        assert_eq!(format_date(2026, 11, 25, DateFormat::UsShort), "11/25/26");
        assert_eq!(
            format_date(2026, 11, 25, DateFormat::WeekdayLong),
            "Wednesday, November 25, 2026"
        );
    }

    #[test]
    fn weekdays_are_right_across_leap_years() {
        assert_eq!(WEEKDAYS[weekday(2000, 2, 29)], "Tuesday");
        assert_eq!(WEEKDAYS[weekday(1970, 1, 1)], "Thursday");
    }
}
