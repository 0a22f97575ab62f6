"""Request signing (Mastercard OAuth 1.0a) verification, used by the API authorizer."""
