//! Business time: an organization's weekly hours in its time zone, less its holidays. Targets
//! counted in business time add only the minutes inside those hours; a day's hours are read in
//! the zone's civil time, so a change of daylight saving time moves them with the clock.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use crm_core::error::FieldError;
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// Days looked at before giving up on finding business time (a calendar of holidays only).
const HORIZON_DAYS: usize = 3 * 366;

/// An organization's business hours.
#[derive(Debug, Clone)]
pub struct Calendar {
    zone: TimeZone,
    /// Monday first: each day's open periods, as minutes since midnight, sorted, not overlapping.
    week: [Vec<(u16, u16)>; 7],
    holidays: BTreeSet<Date>,
}

fn seconds(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp()
}

fn naive(seconds: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp(seconds, 0).map(|t| t.naive_utc()).unwrap_or_default()
}

impl Calendar {
    /// `zone` an IANA name; `week` Monday first; `holidays` as `YYYY-MM-DD`. The error points
    /// at the field of the business hours that is wrong.
    pub fn new(zone: &str, week: [Vec<(u16, u16)>; 7], holidays: &[String]) -> Result<Calendar, FieldError> {
        let zone = TimeZone::get(zone).map_err(|_| {
            FieldError::new("/time_zone", "invalid_time_zone", format!("{zone} is not an IANA time zone"))
        })?;
        let holidays = holidays
            .iter()
            .enumerate()
            .map(|(i, d)| {
                d.parse::<Date>().map_err(|_| {
                    FieldError::new(format!("/holidays/{i}"), "invalid_date", format!("{d} is not a date"))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Calendar { zone, week, holidays })
    }

    /// Calendar time: every second counts.
    pub fn always_open() -> Calendar {
        Calendar { zone: TimeZone::UTC, week: Default::default(), holidays: BTreeSet::new() }
    }

    /// Whether the calendar has any open time at all.
    fn ever_open(&self) -> bool {
        self.week.iter().any(|day| !day.is_empty())
    }

    /// The open periods of a civil date, as instants (seconds).
    fn periods(&self, date: Date) -> Vec<(i64, i64)> {
        if self.holidays.contains(&date) {
            return Vec::new();
        }
        let day = usize::from(date.weekday().to_monday_zero_offset().unsigned_abs());
        let at = |minutes: u16| -> Option<i64> {
            // 24:00 is the next midnight.
            let (date, minutes) = if minutes >= 24 * 60 { (date.tomorrow().ok()?, 0) } else { (date, minutes) };
            let civil: DateTime = date.at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0);
            self.zone.to_timestamp(civil).ok().map(|t| t.as_second())
        };
        self.week[day].iter().filter_map(|(start, end)| Some((at(*start)?, at(*end)?))).filter(|(s, e)| s < e).collect()
    }

    fn date_of(&self, at: i64) -> Option<Date> {
        Some(Timestamp::from_second(at).ok()?.to_zoned(self.zone.clone()).date())
    }

    /// The instant `secs` seconds of business time after `start` (calendar time when the
    /// calendar is never open).
    pub fn add(&self, start: NaiveDateTime, secs: i64) -> NaiveDateTime {
        // Counted in whole seconds; the start's fraction of a second carries over.
        let fraction = chrono::Duration::nanoseconds(i64::from(start.and_utc().timestamp_subsec_nanos()));
        self.add_seconds(seconds(start), secs.max(0)) + fraction
    }

    fn add_seconds(&self, start: i64, secs: i64) -> NaiveDateTime {
        let mut left = secs;
        if !self.ever_open() {
            return naive(start + left);
        }
        let Some(mut date) = self.date_of(start).and_then(|d| d.yesterday().ok()) else { return naive(start + left) };
        for _ in 0..HORIZON_DAYS {
            for (open, close) in self.periods(date) {
                let from = open.max(start);
                if from >= close {
                    continue;
                }
                if left <= close - from {
                    return naive(from + left);
                }
                left -= close - from;
            }
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        naive(start + left)
    }

    /// Business seconds between two instants (0 when `to` is not after `from`).
    pub fn between(&self, from: NaiveDateTime, to: NaiveDateTime) -> i64 {
        let (from, to) = (seconds(from), seconds(to));
        if to <= from {
            return 0;
        }
        if !self.ever_open() {
            return to - from;
        }
        let (Some(mut date), Some(last)) = (self.date_of(from).and_then(|d| d.yesterday().ok()), self.date_of(to))
        else {
            return to - from;
        };
        let mut total = 0;
        while date <= last {
            for (open, close) in self.periods(date) {
                total += (close.min(to) - open.max(from)).max(0);
            }
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn nine_to_five(zone: &str, holidays: &[&str]) -> Calendar {
        let day = vec![(9 * 60, 17 * 60)];
        let week = [day.clone(), day.clone(), day.clone(), day.clone(), day, Vec::new(), Vec::new()];
        Calendar::new(zone, week, &holidays.iter().map(|h| h.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn business_time_skips_nights_weekends_and_holidays() {
        let berlin = nine_to_five("Europe/Berlin", &["2026-12-25"]);
        // Monday 7 Dec 2026, 16:00 in Berlin is 15:00 UTC: one hour left that day.
        assert_eq!(berlin.add(at("2026-12-07 15:00"), 60 * 60), at("2026-12-07 16:00"));
        assert_eq!(berlin.add(at("2026-12-07 15:00"), 120 * 60), at("2026-12-08 09:00"), "10:00 Berlin the next day");
        // Friday 4 Dec, 16:30 Berlin: half an hour, then Monday.
        assert_eq!(berlin.add(at("2026-12-04 15:30"), 60 * 60), at("2026-12-07 08:30"));
        // Thursday 24 Dec 16:00 Berlin: Christmas Day is a holiday, the 26th a Saturday.
        assert_eq!(berlin.add(at("2026-12-24 15:00"), 120 * 60), at("2026-12-28 09:00"));
        // At night the clock waits for the morning.
        assert_eq!(berlin.add(at("2026-12-07 22:00"), 30 * 60), at("2026-12-08 08:30"));
        assert_eq!(berlin.between(at("2026-12-04 15:30"), at("2026-12-07 08:30")), 3600);
        assert_eq!(berlin.between(at("2026-12-07 08:30"), at("2026-12-04 15:30")), 0);
    }

    #[test]
    fn hours_follow_daylight_saving_time() {
        let new_york = nine_to_five("America/New_York", &[]);
        // 9:00 in New York is 14:00 UTC in winter, 13:00 UTC in summer (from 8 March 2026).
        assert_eq!(new_york.add(at("2026-03-06 22:00"), 60), at("2026-03-09 13:01"));
        assert_eq!(new_york.add(at("2026-03-05 22:00"), 60), at("2026-03-06 14:01"));
    }

    #[test]
    fn a_calendar_never_open_counts_calendar_time_and_bad_input_is_refused() {
        let never = Calendar::new("UTC", Default::default(), &[]).unwrap();
        assert_eq!(never.add(at("2026-12-07 10:00"), 90 * 60), at("2026-12-07 11:30"));
        assert!(Calendar::new("Mars/Olympus", Default::default(), &[]).is_err());
        assert!(Calendar::new("UTC", Default::default(), &["2026-13-01".into()]).is_err());
    }
}
