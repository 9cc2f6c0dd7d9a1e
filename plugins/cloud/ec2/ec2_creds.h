/* ec2_creds.h: AWS credentials, found as the AWS SDKs find them: the
 * environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN),
 * then the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or
 * ~/.aws/credentials; profile Ec2Profile, else AWS_PROFILE, else
 * "default"), then the instance role through IMDSv2 (a token PUT, then the
 * role's credentials; endpoint AWS_EC2_METADATA_SERVICE_ENDPOINT, off with
 * AWS_EC2_METADATA_DISABLED=true), kept until 5 minutes before they expire. */
#ifndef EC2_CREDS_H
#define EC2_CREDS_H

#include <stddef.h>
#include <time.h>

struct ec2_creds {
    char access[256];
    char secret[256];
    char token[4096];
    time_t expires;              /* 0: does not expire (environment, file) */
    char source[64];             /* "environment", "profile NAME", "instance role NAME" */
};

struct ec2_cred_src {
    char profile[128];           /* "" = AWS_PROFILE or default */
    struct ec2_creds cached;     /* IMDS credentials, while valid */
};

/* 0 with c filled, or -1 with err saying where it looked. */
int ec2_creds_get(struct ec2_cred_src *s, struct ec2_creds *c, char *err, size_t errlen);
/* Forget cached credentials (after an auth failure). */
void ec2_creds_forget(struct ec2_cred_src *s);
/* The profile's keys from a credentials file's text; 0, or -1 if absent. */
int ec2_creds_from_ini(const char *text, const char *profile, struct ec2_creds *c);

#endif
