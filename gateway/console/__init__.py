"""The gateway's own sign-in and account page (`/signin`), for people rather than programs.

Plain HTML, JavaScript and CSS shipped in the package (`static/`), no build step and nothing
loaded from elsewhere, under a strict Content-Security-Policy. The page is only a client of
the public GraphQL API, like any other: see `gateway.console.page`.
"""
