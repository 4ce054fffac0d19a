import { Building2, MapPin, Plus, Trash2 } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Alert } from '../../components/ui/alert.tsx';
import { Badge } from '../../components/ui/badge.tsx';
import { Button } from '../../components/ui/button.tsx';
import { ListCard, type ListQuery, ListState } from '../../components/ui/data-list.tsx';
import { ConfirmDialog } from '../../components/ui/dialog.tsx';
import { Field, Input, Select } from '../../components/ui/field.tsx';
import { describeError } from '../../lib/api-client.ts';
import { useDepartments, useRegions } from '../documents/documents-api.ts';
import { useCreateDepartment, useCreateRegion, useDeleteDepartment, useDeleteRegion } from './admin-api.ts';

/** The code + name inputs shared by the region and department forms. */
function CodeNameFields(props: {
  code: string;
  name: string;
  onCode: (value: string) => void;
  onName: (value: string) => void;
  examples: [code: string, name: string];
}) {
  return (
    <>
      <Field label="Code">
        {(ids) => (
          <Input
            {...ids}
            value={props.code}
            onChange={(event) => props.onCode(event.target.value)}
            placeholder={props.examples[0]}
            maxLength={32}
          />
        )}
      </Field>
      <Field label="Name">
        {(ids) => (
          <Input
            {...ids}
            value={props.name}
            onChange={(event) => props.onName(event.target.value)}
            placeholder={props.examples[1]}
          />
        )}
      </Field>
    </>
  );
}

function RegionForm() {
  const create = useCreateRegion();
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await create.mutateAsync({ code: code.trim(), name: name.trim() });
    setCode('');
    setName('');
  };
  return (
    <form
      onSubmit={(event) => submit(event).catch(() => undefined)}
      className="space-y-3 border-t border-line px-5 py-4"
    >
      <div className="grid gap-3 sm:grid-cols-[8rem_1fr_auto] sm:items-end">
        <CodeNameFields
          code={code}
          name={name}
          onCode={setCode}
          onName={setName}
          examples={['DE', 'Germany']}
        />
        <Button
          type="submit"
          className="h-10"
          disabled={!code.trim() || !name.trim()}
          isLoading={create.isPending}
        >
          <Plus className="size-4" /> Add region
        </Button>
      </div>
      {create.error ? <Alert tone="danger">{describeError(create.error)}</Alert> : null}
    </form>
  );
}

function DepartmentForm({ regions }: { regions: { code: string; name: string }[] }) {
  const create = useCreateDepartment();
  const [region, setRegion] = useState('');
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const selectedRegion = region || regions[0]?.code || '';
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await create.mutateAsync({ region: selectedRegion, code: code.trim(), name: name.trim() });
    setCode('');
    setName('');
  };
  return (
    <form
      onSubmit={(event) => submit(event).catch(() => undefined)}
      className="space-y-3 border-t border-line px-5 py-4"
    >
      <div className="grid gap-3 sm:grid-cols-[8rem_8rem_1fr_auto] sm:items-end">
        <Field label="Region">
          {(ids) => (
            <Select {...ids} value={selectedRegion} onChange={(event) => setRegion(event.target.value)}>
              {regions.map((item) => (
                <option key={item.code} value={item.code}>
                  {item.code}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <CodeNameFields
          code={code}
          name={name}
          onCode={setCode}
          onName={setName}
          examples={['LEGAL', 'Legal']}
        />
        <Button
          type="submit"
          className="h-10"
          disabled={!selectedRegion || !code.trim() || !name.trim()}
          isLoading={create.isPending}
        >
          <Plus className="size-4" /> Add department
        </Button>
      </div>
      {create.error ? <Alert tone="danger">{describeError(create.error)}</Alert> : null}
    </form>
  );
}

type PendingDeletion = { kind: 'region' | 'department'; id: string; label: string };

/** The regions or departments of the tenant, each with its delete button. */
function TaxonomyList(props: {
  query: ListQuery;
  kind: PendingDeletion['kind'];
  items: { id: string; code: string; name: string }[];
  onDelete: (pending: PendingDeletion) => void;
}) {
  return (
    <ListState
      query={props.query}
      isEmpty={props.items.length === 0}
      empty={{
        icon: props.kind === 'region' ? <MapPin /> : <Building2 />,
        title: props.kind === 'region' ? 'No regions yet' : 'No departments yet',
        description: 'Add the first one below.',
      }}
    >
      <ul className="divide-y divide-line">
        {props.items.map((item) => (
          <li key={item.id} className="flex items-center gap-3 px-5 py-2.5">
            <Badge tone="neutral" className="font-mono">
              {item.code}
            </Badge>
            <span className="flex-1 truncate text-sm">{item.name}</span>
            <Button
              variant="ghost"
              size="icon-sm"
              aria-label={`Delete ${props.kind} ${item.code}`}
              onClick={() =>
                props.onDelete({ kind: props.kind, id: item.id, label: `${item.code} — ${item.name}` })
              }
            >
              <Trash2 className="size-4" />
            </Button>
          </li>
        ))}
      </ul>
    </ListState>
  );
}

export function OrganisationPage() {
  const regions = useRegions();
  const departments = useDepartments();
  const deleteRegion = useDeleteRegion();
  const deleteDepartment = useDeleteDepartment();
  const [pending, setPending] = useState<PendingDeletion | null>(null);
  const regionList = regions.data?.regions ?? [];
  const departmentList = departments.data?.departments ?? [];

  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]" data-testid="admin-organisation">
      <ListCard
        className="self-start"
        title="Regions"
        description="Countries or areas; documents can be shared with a whole region."
        footer={<RegionForm />}
      >
        <TaxonomyList
          query={regions}
          kind="region"
          items={regionList.map((region) => ({ id: region.id, code: region.code, name: region.name }))}
          onDelete={setPending}
        />
      </ListCard>

      <ListCard
        className="self-start"
        title="Departments"
        description="Teams within a region; people belong to one, documents can be shared with several."
        footer={<DepartmentForm regions={regionList} />}
      >
        <TaxonomyList
          query={departments}
          kind="department"
          items={departmentList.map((department) => ({
            id: department.id,
            code: department.path,
            name: department.name,
          }))}
          onDelete={setPending}
        />
      </ListCard>

      <ConfirmDialog
        open={pending !== null}
        onOpenChange={(open) => !open && setPending(null)}
        title={`Delete this ${pending?.kind ?? 'item'}?`}
        description={`${pending?.label ?? ''}. It can only be deleted when no people, documents or departments use it.`}
        confirmLabel="Delete"
        onConfirm={() =>
          pending?.kind === 'region'
            ? deleteRegion.mutateAsync(pending.id)
            : deleteDepartment.mutateAsync(pending!.id)
        }
      />
    </div>
  );
}
