/* jobdef_file.h: reading a job definition file for scontrol register
 * jobdefinition: one JSON object in the shape of AWS Batch's
 * RegisterJobDefinition request (jobDefinitionName, type, parameters,
 * containerProperties, retryStrategy, timeout, ...).  The controller checks
 * the definition itself; this only makes sure there is one to send. */
#ifndef SL_JOBDEF_FILE_H
#define SL_JOBDEF_FILE_H

#include <jansson.h>
#include "error.h"

/* The definition in path, or NULL with e naming the file and the problem:
 * "cannot open DEF.json: No such file or directory", "DEF.json:3:7: ...",
 * "DEF.json: a job definition must be a JSON object", "DEF.json:
 * jobDefinitionName is missing". */
json_t *jobdef_file_read(const char *path, sl_error_t *e);

#endif
