"""Bad input: generated values for every form field, and XSS payloads in every free-text field."""
