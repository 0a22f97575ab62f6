"""pydantic v2 models: the Mastercard JSON contracts and the configuration documents."""
