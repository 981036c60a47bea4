//! IANA time-zone offsets for the timestamp getters (`getHours('Europe/Paris')`).
//!
//! Native builds carry the zone database (jiff's bundled tzdb). The runtime
//! wasm does not: every host it runs in (browsers, Node, workerd, Vercel's
//! edge) ships a full ICU zone database behind `Intl.DateTimeFormat`, so the
//! wasm asks the host instead of carrying ~100 KB of gzipped zone data.

/// UTC offset, in seconds, of the IANA zone `zone` at `secs` seconds after
/// the Unix epoch.
pub fn offset_seconds(zone: &str, secs: i64) -> Result<i64, String> {
    host::offset_seconds(zone, secs)
}

#[cfg(feature = "tz-bundled")]
mod host {
    pub fn offset_seconds(zone: &str, secs: i64) -> Result<i64, String> {
        let tz = jiff::tz::TimeZone::get(zone).map_err(|_| format!("unknown time zone {zone}"))?;
        let at = jiff::Timestamp::new(secs, 0).map_err(|_| "timestamp out of range".to_string())?;
        Ok(i64::from(tz.to_offset(at).seconds()))
    }
}

#[cfg(all(not(feature = "tz-bundled"), feature = "wasm"))]
mod host {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen(inline_js = r#"
const formats = new Map();
export function tzOffsetSeconds(zone, epochSeconds) {
  let format = formats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", era: "short",
      year: "numeric", month: "numeric", day: "numeric",
      hour: "numeric", minute: "numeric", second: "numeric",
    });
    formats.set(zone, format);
  }
  const parts = {};
  for (const part of format.formatToParts(epochSeconds * 1000)) parts[part.type] = part.value;
  let year = Number(parts.year);
  if (parts.era === "BC" || parts.era === "B") year = 1 - year;
  const wall = new Date(0);
  wall.setUTCFullYear(year, Number(parts.month) - 1, Number(parts.day));
  wall.setUTCHours(Number(parts.hour), Number(parts.minute), Number(parts.second), 0);
  return Math.round(wall.getTime() / 1000 - epochSeconds);
}
"#)]
    extern "C" {
        // `catch`: an unknown zone makes Intl throw a RangeError, which must
        // come back as an error value rather than unwind through the wasm.
        #[wasm_bindgen(js_name = tzOffsetSeconds, catch)]
        fn tz_offset_seconds(zone: &str, epoch_seconds: f64) -> Result<f64, JsValue>;
    }

    pub fn offset_seconds(zone: &str, secs: i64) -> Result<i64, String> {
        match tz_offset_seconds(zone, secs as f64) {
            Ok(offset) if offset.is_finite() => Ok(offset as i64),
            _ => Err(format!("unknown time zone {zone}")),
        }
    }
}

#[cfg(all(not(feature = "tz-bundled"), not(feature = "wasm")))]
mod host {
    pub fn offset_seconds(zone: &str, _secs: i64) -> Result<i64, String> {
        Err(format!(
            "unknown time zone {zone}: this build has no time-zone database (enable `tz-bundled`)"
        ))
    }
}
