"""Who is calling: credentials in, `Principal` out (sign-in, sessions)."""
