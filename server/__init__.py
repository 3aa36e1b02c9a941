"""countypay: county primary-care payment settlements, served over GraphQL."""
