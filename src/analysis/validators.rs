//! What the common schema and form validators say when a field is missing or wrong, read as
//! "this message names field X". One pattern per library's wording, each with a unit test of a
//! real message: jsonschema, pydantic/FastAPI, Joi/celebrate, express-validator,
//! class-validator/NestJS, Rails, Django (forms and REST framework), Laravel, Spring.

use std::sync::LazyLock;

use regex::Regex;

/// (library, pattern whose group `f` is the field named).
static PATTERNS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        // jsonschema: 'email' is a required property
        ("jsonschema", r#"['"](?P<f>[A-Za-z_][\w.-]{0,40})['"] is a required property"#),
        // pydantic v2 / FastAPI: {"type":"missing","loc":["body","password"],"msg":"Field required"}
        ("pydantic", r#""loc"\s*:\s*\[[^\]]*?"(?P<f>[A-Za-z_][\w.-]{0,40})"\s*\][^{}]*"msg"\s*:\s*"(Field required|field required|[^"]*)""#),
        // Joi / celebrate: "password" is required, "email" must be a valid email
        ("joi", r#"\\?"(?P<f>[A-Za-z_][\w.-]{0,40})\\?" (is required|is not allowed to be empty|must be|length must)"#),
        // express-validator: {"msg":"Invalid value","param":"password"} / "path":"password"
        ("express-validator", r#""(param|path)"\s*:\s*"(?P<f>[A-Za-z_][\w.-]{0,40})""#),
        // class-validator / NestJS: "password should not be empty", "email must be an email"
        ("class-validator", r#"(^|["\[,\s])(?P<f>[A-Za-z_][\w.]{0,40}) (should not be empty|must be an? [\w ]{1,30}|must be longer|must contain)"#),
        // Rails: "Password can't be blank", {"password":["can't be blank"]}
        ("rails", r#"(?i)(^|[>"\s])(?P<f>[A-Za-z_][\w ]{0,30}?) (can't|cannot) be blank"#),
        // Django forms / DRF: {"password": ["This field is required."]}, <ul class="errorlist" id="id_password1_error">
        ("django", r#""(?P<f>[A-Za-z_][\w.-]{0,40})"\s*:\s*\[\s*"[^"]{0,60}(required|blank|empty|null|missing)"#),
        ("django", r#"id="id_(?P<f>[A-Za-z_][\w-]{0,40})_error""#),
        // Laravel: "The password field is required."
        ("laravel", r#"(?i)The (?P<f>[A-Za-z_][\w ]{0,30}?) field is required"#),
        // Spring (Bean Validation): {"field":"password","defaultMessage":"must not be blank"}
        ("spring", r#""field"\s*:\s*"(?P<f>[A-Za-z_][\w.-]{0,40})""#),
    ]
    .into_iter()
    .filter_map(|(lib, p)| Regex::new(p).ok().map(|r| (lib, r)))
    .collect()
});

/// The fields a validator's message names, lower-cased, spaces as "_" ("Password confirmation"
/// → `password_confirmation`), each once, in the order named.
pub fn named_fields(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, re) in PATTERNS.iter() {
        for c in re.captures_iter(text) {
            if let Some(f) = c.name("f") {
                let f = f.as_str().trim().to_ascii_lowercase().replace(' ', "_");
                let f = f.rsplit('.').next().unwrap_or(&f).to_string();
                if !f.is_empty()
                    && !matches!(f.as_str(), "body" | "query" | "this" | "value")
                    && !out.contains(&f)
                {
                    out.push(f);
                }
            }
        }
    }
    out
}

/// Whether the message names `field` (case-insensitive; `user.password` names `password`).
pub fn names_field(text: &str, field: &str) -> bool {
    let want = field
        .rsplit('.')
        .next()
        .unwrap_or(field)
        .to_ascii_lowercase();
    named_fields(text).contains(&want)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_library_names_its_field() {
        let cases: [(&str, &str); 12] = [
            (r#"{"message": "'email' is a required property"}"#, "email"),
            (
                r#"{"detail":[{"type":"missing","loc":["body","password"],"msg":"Field required","input":{"email":"x@example.invalid"}}]}"#,
                "password",
            ),
            (
                r#"{"statusCode":400,"error":"Bad Request","message":"\"password\" is required"}"#,
                "password",
            ),
            (
                r#"{"errors":[{"type":"field","value":"","msg":"Invalid value","path":"password","location":"body"}]}"#,
                "password",
            ),
            (
                r#"{"errors":[{"value":"","msg":"Invalid value","param":"password","location":"body"}]}"#,
                "password",
            ),
            (
                r#"{"statusCode":400,"message":["password should not be empty","password must be a string"],"error":"Bad Request"}"#,
                "password",
            ),
            ("<li>Password can't be blank</li>", "password"),
            (r#"{"password":["This field is required."]}"#, "password"),
            (
                r#"<ul class="errorlist" id="id_password1_error"><li>This field is required.</li></ul>"#,
                "password1",
            ),
            (
                r#"{"message":"The password field is required.","errors":{"password":["The password field is required."]}}"#,
                "password",
            ),
            (
                r#"{"errors":[{"field":"password","defaultMessage":"must not be blank","code":"NotBlank"}]}"#,
                "password",
            ),
            (
                r#"{"errors":{"password_confirmation":["can't be blank"]}}"#,
                "password_confirmation",
            ),
        ];
        for (text, field) in cases {
            assert!(
                names_field(text, field),
                "{field} in {text}: {:?}",
                named_fields(text)
            );
        }
    }

    #[test]
    fn generic_messages_name_no_field() {
        assert!(named_fields("Invalid username or password").is_empty());
        assert!(named_fields("<p>Please correct the errors below.</p>").is_empty());
    }

    #[test]
    fn rails_full_messages_and_dotted_names() {
        assert_eq!(named_fields("Email can't be blank"), ["email"]);
        assert!(names_field(r#"{"path":"user.password"}"#, "user.password"));
    }
}
