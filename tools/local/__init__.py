"""The whole service on 127.0.0.1 with no AWS account and no Docker: ``python -m tools.local``.

moto in server mode (serialized, in a child process), every resource of template.yaml, the demo
configuration, a local HTTP API gateway that runs the template's authorizer and functions in this
process, and queue/stream pollers.
"""
