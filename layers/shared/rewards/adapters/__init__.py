"""AWS adapters: the only modules that talk to DynamoDB, SQS and SSM."""
