//! Catalogues made up for the fetch tests: objects numbered from 90001 whose
//! names and epochs say which catalogue an answer came from.

use crate::common::tle_line;

/// The catalogue numbers of the made-up objects (seven: "half" is three).
pub const IDS: [u32; 7] = [90001, 90002, 90003, 90004, 90005, 90006, 90007];

/// One catalogue version: a name prefix, an epoch (TLE `YYDDD.DDDDDDDD`) and
/// a mean anomaly (8 columns), so positions differ between versions too.
#[derive(Debug, Clone, Copy)]
pub struct Version {
    pub name: &'static str,
    pub epoch: &'static str,
    pub mean_anomaly: &'static str,
}

/// The first good catalogue: epoch 2026-11-27 00:00 UTC, a day and a half
/// before the tests' frozen `--now`.
pub const ALPHA: Version = Version {
    name: "ALPHA",
    epoch: "26331.00000000",
    mean_anomaly: "175.9840",
};

/// The second good catalogue: epoch 2026-11-28 00:00 UTC.
pub const BRAVO: Version = Version {
    name: "BRAVO",
    epoch: "26332.00000000",
    mean_anomaly: "015.0000",
};

/// Three-line elements of `ids` in `version`.
pub fn tle(version: Version, ids: &[u32]) -> String {
    let mut text = String::new();
    for (i, id) in ids.iter().enumerate() {
        let line1 = format!(
            "1 {id:05}U 98067A   {}  .00008010  00000+0  15237-3 0  999",
            version.epoch
        );
        let line2 = format!(
            "2 {id:05}  51.6312 206.3646 0003723 184.1118 {} 15.4919383554085",
            version.mean_anomaly
        );
        text.push_str(&format!(
            "{}-{}\n{}\n{}\n",
            version.name,
            i + 1,
            tle_line(&line1),
            tle_line(&line2)
        ));
    }
    text
}

/// The TXT name an object of `version` answers with.
pub fn name(version: Version, index: usize) -> String {
    format!("{}-{}", version.name, index + 1)
}

/// OMM CSV, as CelesTrak's `FORMAT=csv`, of one object numbered above 99999.
pub fn csv_with_six_digit_number(id: u32, name: &str) -> String {
    format!(
        "OBJECT_NAME,OBJECT_ID,EPOCH,MEAN_MOTION,ECCENTRICITY,INCLINATION,RA_OF_ASC_NODE,ARG_OF_PERICENTER,MEAN_ANOMALY,EPHEMERIS_TYPE,CLASSIFICATION_TYPE,NORAD_CAT_ID,ELEMENT_SET_NO,REV_AT_EPOCH,BSTAR,MEAN_MOTION_DOT,MEAN_MOTION_DDOT\r\n\
         {name},2026-999A,2026-11-27T00:00:00.000000,15.49193835,.0003723,51.6312,206.3646,184.1118,175.9840,0,U,{id},999,100,.15237E-3,.801E-4,0\r\n"
    )
}
