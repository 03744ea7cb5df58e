#include <string.h>

#include "importer.h"
#include "service.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "import") == 0)
        return fin_import_main(argc, argv);
    return svc_main(&financial_def, argc, argv);
}
