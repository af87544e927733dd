//! Business hours as the API shows and takes them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// An open period of a day, `HH:MM` to `HH:MM` in the organization's time zone (`24:00` ends
/// the day).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Period {
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "09:00")]
    pub start: String,
    #[schema(pattern = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", example = "17:00")]
    pub end: String,
}

/// Each day's open periods; a day not given is closed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Week {
    #[serde(default)]
    pub monday: Vec<Period>,
    #[serde(default)]
    pub tuesday: Vec<Period>,
    #[serde(default)]
    pub wednesday: Vec<Period>,
    #[serde(default)]
    pub thursday: Vec<Period>,
    #[serde(default)]
    pub friday: Vec<Period>,
    #[serde(default)]
    pub saturday: Vec<Period>,
    #[serde(default)]
    pub sunday: Vec<Period>,
}

impl Week {
    /// Monday first, with their JSON names.
    pub fn days(&self) -> [(&'static str, &Vec<Period>); 7] {
        [
            ("monday", &self.monday),
            ("tuesday", &self.tuesday),
            ("wednesday", &self.wednesday),
            ("thursday", &self.thursday),
            ("friday", &self.friday),
            ("saturday", &self.saturday),
            ("sunday", &self.sunday),
        ]
    }
}

/// `PUT /v1/business-hours`: the whole calendar.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "time_zone": "Europe/Berlin",
    "week": {
        "monday": [{"start": "09:00", "end": "17:00"}], "tuesday": [{"start": "09:00", "end": "17:00"}],
        "wednesday": [{"start": "09:00", "end": "17:00"}], "thursday": [{"start": "09:00", "end": "17:00"}],
        "friday": [{"start": "09:00", "end": "15:00"}]
    },
    "holidays": ["2026-12-24", "2026-12-25", "2026-12-26"]
}))]
pub struct BusinessHoursIn {
    /// An IANA time zone name.
    #[validate(length(min = 1, max = 64))]
    #[schema(example = "Europe/Berlin", min_length = 1, max_length = 64)]
    pub time_zone: String,
    pub week: Week,
    /// Closed days, `YYYY-MM-DD` (at most 1,000).
    #[serde(default)]
    #[validate(length(max = 1000))]
    #[schema(value_type = Vec<String>, format = Date, max_items = 1000)]
    pub holidays: Vec<String>,
}

/// The organization's business hours. Until they are set, business time is calendar time
/// (`version` 0).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "time_zone": "Europe/Berlin",
    "week": {
        "monday": [{"start": "09:00", "end": "17:00"}], "tuesday": [{"start": "09:00", "end": "17:00"}],
        "wednesday": [{"start": "09:00", "end": "17:00"}], "thursday": [{"start": "09:00", "end": "17:00"}],
        "friday": [{"start": "09:00", "end": "15:00"}], "saturday": [], "sunday": []
    },
    "holidays": ["2026-12-24", "2026-12-25", "2026-12-26"], "updated_at": "2026-12-07T09:12:00Z", "version": 1
}))]
pub struct BusinessHoursOut {
    pub time_zone: String,
    pub week: Week,
    #[schema(value_type = Vec<String>, format = Date)]
    pub holidays: Vec<String>,
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<chrono::NaiveDateTime>,
    pub version: i64,
}
